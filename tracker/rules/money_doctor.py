"""doctor's `warn` line for one figure of money set once for panels in
different currencies: `balance.low = 50` is 50 USD on a dollar panel and
50 RUB (well under a dollar) on a rouble one, and so is one
`automation.daily_cap` in each panel's own money. Apart, `doctor.py` being
at its size limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from tracker.config.model import Config
from tracker.rules.doctor import WARN, Check
from tracker.rules.money import currency_key, currency_shown, money

Figure = tuple[str, Decimal, Sequence[str], str]


def shared_figures(config: Config) -> list[Figure]:
    """Given the config, return the figures of money it sets once for several
    panels, each in each panel's own money, for :func:`one_figure_checks`:
    `balance.low` (the panels without their own `balance_low`), and with
    re-orders on `automation.daily_cap` (those without an entry in
    `daily_cap_panels`, whose cap is in their own money)."""
    figures: list[Figure] = []
    if config.balance.low > 0:
        panels = [p.name for p in config.panels if p.balance_low is None]
        figures.append(
            ("balance.low", config.balance.low, panels, "its own balance_low in its [[panels]]")
        )
    auto = config.automation
    if auto.reorder and auto.daily_cap > 0:
        capped = dict(auto.daily_cap_panels)
        panels = [
            p.name
            for p in config.panels
            if p.name not in capped and auto.cap_currency(p.name)[0] is None
        ]
        figures.append(
            (
                "automation.daily_cap",
                auto.daily_cap,
                panels,
                "its own cap in automation.daily_cap_panels",
            )
        )
    return figures


def one_figure_checks(
    currencies: Mapping[str, str | None],
    shared: Sequence[Figure],
) -> list[Check]:
    """Given each panel's currency (its last balance's; None: none named) and
    each figure set once for several panels, as (setting, value, the panels
    it applies to, the per-panel setting that gives each its own), return a
    `warn` line for each figure whose panels are in more than one currency:
    the figure is a different amount of money on each."""
    checks = []
    for setting, value, panels, own in shared:
        by_currency: dict[str, list[str]] = {}
        labels: dict[str, str] = {}
        for panel in panels:
            currency = currencies.get(panel)
            if (key := currency_key(currency)) is None or currency is None:
                continue  # no balance named one yet: not known
            by_currency.setdefault(key, []).append(panel)
            labels.setdefault(key, currency_shown(currency.strip()))
        if len(by_currency) < 2:
            continue
        amount = money(value)
        each = " and ".join(
            f"{amount} {labels[key]} on {', '.join(names)}" for key, names in by_currency.items()
        )
        # The panels outside the currency most of them are in: the ones to set.
        most = max(by_currency.values(), key=len)
        others = [p for names in by_currency.values() if names is not most for p in names]
        whom = others[0] if len(others) == 1 else f"{', '.join(others)} each"
        detail = f"{amount} is {each} (each panel's own money): give {whom} {own}"
        checks.append(Check(WARN, setting, detail))
    return checks

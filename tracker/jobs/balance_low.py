"""The balance job's low-balance alert: the runway from the stored history
of a panel's balance, and the words a person reads. Apart from
:mod:`tracker.jobs.balance`."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from tracker.clock import read_iso
from tracker.errors import StoreError
from tracker.panel.models import Balance
from tracker.rules.alerts import rough_duration
from tracker.rules.balance import (
    BALANCE_LOW,
    BALANCE_LOW_REMINDER,
    RUNWAY_WINDOW,
    Runway,
    estimate_runway,
    in_currency,
    lowered_end,
    not_yet_recovered,
    recover_level,
)
from tracker.rules.clocksteps import NO_GAP, Gap
from tracker.rules.episodes import Alert, Episode
from tracker.rules.money import currency_shown, money
from tracker.rules.watched import watched
from tracker.store.alerts import balance_before, balance_history, last_alert_data
from tracker.store.orders import Store


def runway_for(
    store: Store, panel: str, balance: Decimal, now: datetime, currency: str | None = None
) -> Runway:
    """Given a panel and its current balance, return the runway from stored
    history: the balances in ``currency`` only (when known), as a rate of
    spending across a change of currency means nothing."""
    since = now - timedelta(seconds=RUNWAY_WINDOW)
    rows = balance_history(store, panel, since)
    # A check's time unreadable (a file edited by hand): left out, as `balance` leaves it.
    spent = in_currency(rows, currency)
    points = [(at, float(r["balance"])) for r in spent if (at := read_iso(r["at"])) is not None]
    runway = estimate_runway(points, float(balance))
    if runway.rate_per_day is None:  # its words say whether older checks exist
        runway = runway._replace(older=balance_before(store, panel, since))
    return runway


class Judged(NamedTuple):
    """The threshold a low episode's last alert was judged by, from its data:
    ``low`` and the level the balance had to pass to end it; and the config
    key that sets the threshold now (``balance.low``, ``panels[N].balance_low``)."""

    low: Decimal
    recover_above: Decimal
    key: str = "balance.low"


def judged_by(store: Store, panel: str, since: datetime | None, key: str) -> Judged | None:
    """Given a panel's open low episode's start, return the threshold its
    last ``balance_low`` or reminder was judged by (None: not stored, a
    prune took it, the database unreadable now)."""
    if since is None:
        return None
    try:
        data = last_alert_data(store, panel, (BALANCE_LOW, BALANCE_LOW_REMINDER), since)
    except StoreError:
        return None
    if data is None:
        return None
    try:
        low, above = Decimal(str(data["low"])), Decimal(str(data["recover_above"]))
    except (TypeError, KeyError, ArithmeticError, ValueError):
        return None
    return Judged(low, above, key) if low.is_finite() and above.is_finite() else None


def _lowered(
    panel: str, shown: str, low: Decimal, above: str, before: Judged, currency: str
) -> str:
    """The words of a low episode the config ended, lowering its threshold."""
    # The balance may have risen meanwhile, never past the level before: the
    # change ended the episode, whatever the balance did ("not a top-up" was
    # untrue of a balance that rose a little).
    was = f"{money(before.recover_above)}{currency}"
    not_back = (
        f"which ends this episode: the balance is not back above {was}, where it ended before"
    )
    if low < before.low:
        moved = f"{before.key} lowered from {money(before.low)}{currency} by a config change"
        return (
            f"{panel}: balance {shown} is above the new threshold {money(low)}{currency} "
            f"({moved}, {not_back}; now it ends above {above})"
        )
    return (
        f"{panel}: balance {shown} is above the new recovery level {above} "
        f"(balance.recover_margin lowered by a config change, {not_back})"
    )


def balance_alert(
    panel: str,
    kind: str,
    answer: Balance,
    low: Decimal,
    margin: float,
    episode: Episode,
    runway: Runway,
    now: datetime,
    gap: Gap = NO_GAP,
    before: Judged | None = None,
) -> Alert:
    """Given what the rules decided, return the alert a person reads. A
    recovery says the time the tracker watched the balance low: the clock's
    gaps while it was (``gap``: a sleep, a step) left out and named as
    ``panel_recovered`` names them (:mod:`tracker.rules.watched`); one the
    config ended (``before``: the threshold the episode was judged by, which
    the balance did not pass) says so, never "balance back to"."""
    currency = f" {currency_shown(answer.currency)}" if answer.currency else ""  # 40 at most
    shown = f"{money(answer.balance)}{currency}"
    recover_at = recover_level(low, margin)
    low_for = rough_duration((now - episode.since).total_seconds()) if episode.since else "?"
    # The threshold is in the panel's money: "below 990.00 RUB", never a bare 990.00.
    if kind == BALANCE_LOW:
        left = runway.describe(answer.currency)
        message = f"{panel}: balance {shown} is below {money(low)}{currency}; {left}"
    elif kind == BALANCE_LOW_REMINDER:
        # In the band between low and the recovery level, the episode open
        # (hysteresis): said as it is, never "below" a threshold it is above.
        band = not_yet_recovered(answer.balance, low, recover_at, currency)
        said = f"still low: {shown}, below {money(low)}{currency} for {low_for}"
        if band is not None:
            said = f"{shown}, {band}; low-balance episode open for {low_for}"
        message = f"{panel}: balance {said}; {runway.describe(answer.currency)}"
    else:
        seen = watched(episode.since or now, now, gap)
        lasted = f"{seen.lasted}{seen.aside}" if episode.since else "?"
        above = f"{money(recover_at)}{currency}"
        message = f"{panel}: balance back to {shown} (above {above}) after {lasted}"
        lowered = before is not None and lowered_end(answer.balance, before.recover_above)
        if lowered and before is not None:
            message = f"{_lowered(panel, shown, low, above, before, currency)}; low for {lasted}"
    data: dict[str, Any] = {
        "balance": float(answer.balance),
        "currency": answer.currency,
        "low": float(low),
        "recover_above": float(recover_at),
        "low_since": episode.since.isoformat(timespec="seconds") if episode.since else None,
        "spend_per_day": None if runway.rate_per_day is None else round(runway.rate_per_day, 6),
        "runway_seconds": None if runway.seconds_left is None else round(runway.seconds_left),
        "below_low": answer.balance < low,  # False in the band: above low, not yet recovered
    }
    if kind not in (BALANCE_LOW, BALANCE_LOW_REMINDER):
        data.update(seen.data)
        data["threshold_lowered"] = lowered  # the config ended it, not the balance
    return Alert(kind, message, panel=panel, data=data)

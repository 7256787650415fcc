"""Read the ``[automation]`` section: stall thresholds, re-orders, stale cancels, the cap.

Like every section reader, it records problems in the :class:`Table` and
returns usable values, so :func:`tracker.config.sections.build_config` reports
every mistake at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from tracker.config.durations import parse_duration
from tracker.config.fields import Table, toml_type
from tracker.config.model import AutomationConfig, StallAfter
from tracker.panel.statuses import TERMINAL, canonical_order_status

V = TypeVar("V")

_DAY = 86400.0
_LONGEST = 366 * _DAY


def read_automation(t: Table, panels: Iterable[str] | None) -> AutomationConfig:
    """Given the ``[automation]`` table and the configured panel names (None when
    a panel's name is missing or wrong, a problem reported already), return the
    AutomationConfig (defaults where a value is wrong, each problem recorded)."""
    d = AutomationConfig()
    reorder = t.boolean("reorder", d.reorder)
    cap = t.money("daily_cap", d.daily_cap)
    cap = d.daily_cap if cap is None else cap
    names = None if panels is None else set(panels)
    caps = _per_panel(t, "daily_cap_panels", names, "{ main = 20 }", _money)
    if reorder and cap <= 0 and not any(amount > 0 for _, amount in caps):
        # Every cap 0: no re-order could ever be placed, each skipped as above
        # the cap, while `automation` says re-orders are on.
        above = "must be above 0 when automation.reorder = true (it bounds spending)"
        if caps:
            above += "; every cap in daily_cap_panels is 0 too: no re-order could be placed"
        t.cross("daily_cap", above, "reorder", "daily_cap_panels")
    return AutomationConfig(
        dry_run=t.boolean("dry_run", d.dry_run),
        every=t.duration("every", d.every, minimum=1, maximum=_DAY),
        stalls=t.boolean("stalls", d.stalls),
        stall_after=_stall_table(t, "stall_after", t.raw("stall_after"), d.stall_after),
        stall_after_service=_service_stalls(t),
        eta_overdue=_overdue(t, d.eta_overdue),
        reorder=reorder,
        reorder_services=_service_ids(t, "reorder_services"),
        reorder_within=t.duration("reorder_within", d.reorder_within, minimum=60, maximum=_LONGEST),
        reorder_step=t.integer("reorder_step", d.reorder_step, 1, 1_000_000),
        reorder_round=t.choice("reorder_round", d.reorder_round, ("up", "down", "nearest")),
        reorder_below_min=t.choice("reorder_below_min", d.reorder_below_min, ("raise", "skip")),
        cancel_pending=t.boolean("cancel_pending", d.cancel_pending),
        cancel_pending_after=t.duration(
            "cancel_pending_after", d.cancel_pending_after, minimum=60, maximum=_LONGEST
        ),
        daily_cap=cap,
        daily_cap_panels=caps,
        daily_cap_currency=_cap_currency(t, "daily_cap_currency"),
        daily_cap_currency_panels=_per_panel(
            t, "daily_cap_currency_panels", names, '{ main = "RUB" }', _panel_currency
        ),
    )


# A cap currency written as the panel labels its balance ("$", "руб."): as
# long as a line shows a panel's currency (tracker.rules.money.CURRENCY_SHOWN).
LABEL_LONGEST = 40


def is_code(label: str) -> bool:
    """Return True when a currency label is a code: 3 to 5 letters, any case
    ("USD", "usdt": a panel taking crypto), blanks around it aside."""
    label = label.strip()
    return 3 <= len(label) <= 5 and label.isascii() and label.isalpha()


def writable_label(label: str) -> bool:
    """Return True when a currency label can be written as a cap's currency:
    up to :data:`LABEL_LONGEST` characters, none a control character,
    blanks around it aside (a panel's "$", "руб.", "US Dollar")."""
    label = label.strip()
    return 0 < len(label) <= LABEL_LONGEST and label.isprintable()


def _cap_currency(t: Table, key: str) -> str | None:
    """Read a cap's currency: a code of 3 to 5 letters, any case ("usd" is
    USD), or the label the panel's balance names its currency by, as it
    writes it ("$": never taken for USD), matched case-insensitively; ""
    for none (each panel's own money)."""
    told = len(t.problems)
    value = t.string(key, "").strip()
    if len(t.problems) > told or not value:  # not a string: told
        return None
    if is_code(value):
        return value.upper()
    if not writable_label(value):
        t.fail(
            key,
            f'must be a currency code like "USD", or the label the panel\'s balance names '
            f'its currency by ("$"), up to {LABEL_LONGEST} characters (got {value!r})',
        )
        return None
    return value


def _stall_table(t: Table, key: str, raw: Any, default: StallAfter) -> StallAfter:
    """Given ``{status = duration}``, return it as (canonical status, seconds) pairs."""
    if raw is None:
        return default
    if not isinstance(raw, dict):
        t.fail(key, f'must be a table like {{ Pending = "12h" }}, not {toml_type(raw)}')
        return default
    found: list[tuple[str, float]] = []
    for name, value in raw.items():
        status = canonical_order_status(str(name))
        where = f'{key}."{name}"' if " " in str(name) else f"{key}.{name}"
        if status is None or status in TERMINAL:
            t.fail(where, "must be an open order status (Pending, Processing, In progress, ...)")
            continue
        try:
            seconds = parse_duration(value, toml=True)
        except ValueError as exc:
            t.fail(where, str(exc))
            continue
        if not 60 <= seconds <= _LONGEST:
            t.fail(where, f"must be between 1m and 366d (got {value!r})")
            continue
        found.append((status, seconds))
    return tuple(found)


def _service_stalls(t: Table) -> tuple[tuple[int, StallAfter], ...]:
    raw = t.raw("stall_after_service")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        t.fail("stall_after_service", f"must be a table of service IDs, not {toml_type(raw)}")
        return ()
    found = []
    for name, table in raw.items():
        key = f'stall_after_service."{name}"'
        if not str(name).isdigit() or int(name) < 1:
            t.fail(key, "must be a service ID (a positive whole number)")
            continue
        found.append((int(name), _stall_table(t, key, table, ())))
    return tuple(found)


def _overdue(t: Table, default: float) -> float:
    value = t.raw("eta_overdue")
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        t.fail("eta_overdue", f"must be a number, not {toml_type(value)}")
        return default
    if value != 0 and not 1 <= value <= 100:
        t.fail("eta_overdue", f"must be 0 (off) or between 1 and 100 (got {value})")
        return default
    return float(value)


def _service_ids(t: Table, key: str) -> tuple[int, ...]:
    raw = t.raw(key)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        t.fail(key, f"must be an array of service IDs, not {toml_type(raw)}")
        return ()
    found: list[int] = []
    for index, item in enumerate(raw):
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            t.fail(f"{key}[{index}]", f"must be a service ID (got {item!r})")
        elif item not in found:
            found.append(item)
    return tuple(found)


def _money(t: Table, key: str) -> Decimal | None:
    return t.money(key, None)


def _panel_currency(t: Table, key: str) -> str | None:
    """A panel's cap currency; "" (kept) for the panel's own money, in place
    of daily_cap_currency; None when it is wrong (told)."""
    told = len(t.problems)
    currency = _cap_currency(t, key)
    return None if len(t.problems) > told else currency or ""


def _per_panel(
    t: Table, key: str, panels: set[str] | None, like: str, read: Callable[[Table, str], V | None]
) -> tuple[tuple[str, V], ...]:
    """Read a table of panel names (``daily_cap_panels``,
    ``daily_cap_currency_panels``), each value by ``read``. A name is checked
    against ``panels`` only when every panel's name is known: with one missing
    or wrong (``nme``, ``[[panel]]``) the name here may be right, and the one
    mistake is reported already."""
    raw = t.raw(key)
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        t.fail(key, f"must be a table like {like}, not {toml_type(raw)}")
        return ()
    sub = Table(raw, t.at(key), t.problems)
    found = []
    for name in raw:
        if panels is not None and name not in panels:
            import difflib  # only for a name that is no panel's: a start needs none

            close = difflib.get_close_matches(name, sorted(panels), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            sub.fail(name, f"is not a configured panel name{hint}")
        value = read(sub, name)
        if value is not None:
            found.append((name, value))
    if sub.failed:  # the checks using these values wait until they are right
        t.failed.add(key)
    return tuple(found)

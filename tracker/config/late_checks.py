"""``schedule.late_checks``: when an order that ended Partial, Canceled or
Refunded is asked again, for a refund the panel makes later than the status.

An array of durations counted from when the order ended (``["1h", "6h",
"24h"]``); ``[]`` turns late checks off. Each from 1 minute to 30 days, at
most MOST of them, kept in ascending order with repeats dropped.
"""

from __future__ import annotations

from tracker.config.durations import format_duration, parse_duration
from tracker.config.fields import Table, toml_type

KEY = "late_checks"
MOST = 10
SHORTEST, LONGEST = 60.0, 30 * 86400.0
_WHAT = f'must be an array of at most {MOST} durations like ["1h", "6h", "24h"] ([] for none)'


def read_late_checks(t: Table, default: tuple[float, ...]) -> tuple[float, ...]:
    """Given the ``[schedule]`` table, return its late checks in seconds,
    ascending; record a problem (and return ``default``) for a wrong value."""
    raw = t.raw(KEY)
    if raw is None:
        return default
    if not isinstance(raw, list) or len(raw) > MOST:
        t.fail(KEY, f"{_WHAT}, not {_shown(raw)}")
        return default
    found: set[float] = set()
    wrong = False
    low, high = format_duration(SHORTEST), format_duration(LONGEST)
    for index, item in enumerate(raw):
        try:
            seconds = parse_duration(item, toml=True)
        except ValueError as exc:
            t.fail(f"{KEY}[{index}]", str(exc))
            wrong = True
            continue
        if not SHORTEST <= seconds <= LONGEST:
            t.fail(f"{KEY}[{index}]", f"must be between {low} and {high} (got {item!r})")
            wrong = True
            continue
        found.add(seconds)
    return default if wrong else tuple(sorted(found))


def _shown(raw: object) -> str:
    return f"{len(raw)} of them" if isinstance(raw, list) else toml_type(raw)

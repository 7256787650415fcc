"""doctor's lines per panel about the late checks of ended orders
(:mod:`tracker.rules.late_checks`): how many ended orders wait for one, how
many are due, and a ``warn`` when some check is overdue (no poll made it:
the daemon stopped for days, its polls failing, or more due than its polls
check). Apart from :mod:`tracker.rules.doctor`, which is at its size limit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from tracker.clock import iso, parse_iso
from tracker.config.durations import format_duration
from tracker.rules.doctor import INFO, WARN, Check

# A check is made at the first poll after it is due: one still due this long
# after (or twice schedule.status_every, if longer) is overdue.
OVERDUE_AFTER = 3600.0


def overdue_after(status_every: float) -> float:
    """Seconds after its moment a late check not made yet is overdue."""
    return max(OVERDUE_AFTER, 2 * status_every)


def late_checks_lines(
    rows: Sequence[Sequence[Any]],
    delays: Sequence[float],
    status_every: float,
    configured: Collection[str],
    now: datetime,
) -> list[Check]:
    """Given :func:`tracker.store.late_checks.backlog_query`'s rows (panel,
    checks had, waiting, due, overdue, earliest end among the due), the late
    checks' moments, ``schedule.status_every``, the configured panels and
    ``now``, return one line per configured panel with ended orders waiting:
    ``info``, or ``warn`` when a check is overdue."""
    by_panel: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        by_panel.setdefault(str(row[0]), []).append(row)
    moments = ", ".join(format_duration(d) for d in delays)
    lines = []
    for panel, found in by_panel.items():
        if panel not in configured:  # not polled at all: the unconfigured line says so
            continue
        waiting = sum(int(r[2]) for r in found)
        due = sum(int(r[3] or 0) for r in found)
        overdue = sum(int(r[4] or 0) for r in found)
        waits = (
            f"{waiting} ended order{'s' * (waiting != 1)} waiting for a late check "
            f"(schedule.late_checks: {moments} after the end), {due} due now"
        )
        if not overdue:
            lines.append(Check(INFO, f"panel {panel}", f"{waits}; none overdue"))
            continue
        oldest = min(parse_iso(r[5]) + timedelta(seconds=delays[int(r[1])]) for r in found if r[5])
        many = overdue != 1
        checks, them, each = ("late checks", "them", "each") if many else ("late check", "it", "it")
        lines.append(
            Check(
                WARN,
                f"panel {panel}",
                f"{overdue} {checks} of ended orders overdue (due for more than "
                f"{format_duration(overdue_after(status_every))}), {'the oldest ' * many}due "
                f"since {iso(oldest)} ({_ago(now - oldest)} ago): no poll has made {them} "
                "(the daemon stopped, its status calls failing, or more due than its polls "
                f"check: 10 batches of max_batch a poll); the next poll makes {each} once, "
                f"however many of its moments went by, a refund then raising order_refunded; "
                f"{waits}",
            )
        )
    return lines


def _ago(gone: timedelta) -> str:
    """ "2d 4h", "3h 5m", "45m": to the minute, two units at most."""
    minutes = max(0, int(gone.total_seconds() // 60))
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    units = [(days, "d"), (hours, "h"), (mins, "m")]
    shown = [f"{n}{u}" for n, u in units if n][:2]
    return " ".join(shown) or "0m"

"""Pure decision logic for one status report: what changes, what is recorded.

Given an order's stored row and what the panel just said about it, return the
fields to update and the transition to record (if the status changed). No I/O;
``now`` is always passed in. The same decisions as tuples, the writer's hot
path: :mod:`tracker.rules.status_tuples`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from tracker.clock import iso, iso_shared, parse_iso, read_iso
from tracker.panel.statuses import is_terminal
from tracker.rules.clocksteps import SetAhead, set_ahead_since
from tracker.rules.delivery import stored_count
from tracker.rules.late_checks import charge_before, charged_elsewhere

if TYPE_CHECKING:  # a type only: importing it costs the read commands' start-up
    from tracker.panel.models import OrderStatus

# An order the panel calls unknown is asked again after these waits (the last
# one repeating) until Cadence.give_up has passed since it was first called
# unknown; then it stops being polled, recorded as stopped by the panel.
UNKNOWN_BACKOFF = (3600.0, 6 * 3600.0, 24 * 3600.0)
NOT_IN_ANSWER = "not in the panel's answer"
# What every status report (one with a status, no error) resets.
STATUS_RESETS: dict[str, Any] = {"error": None, "error_count": 0, "unknown_since": None}
STOPPED_BY_PANEL = "panel"


class Cadence(NamedTuple):
    """How often open orders are checked: ``every`` while they move, backing off
    to ``max_every`` while they sit unchanged (adaptive polling)."""

    every: float
    max_every: float
    give_up: float = 3 * 86400.0  # an order called unknown this long stops being polled
    # An order ended Partial, Canceled or Refunded is asked again this long
    # after it ended (seconds, ascending; see tracker.rules.late_checks).
    late_checks: tuple[float, ...] = ()
    # The wall clock's forward steps the daemon saw (rules.clocksteps.seen_ahead):
    # no time an order was called unknown for, toward give_up.
    set_ahead: tuple[SetAhead, ...] = ()


class Outcome(NamedTuple):
    changes: dict[str, Any]
    transition: dict[str, Any] | None = None
    lost: dict[str, Any] | None = None  # the order stopped being polled: the panel lost it


def horizons(cadence: Cadence) -> tuple[float, float]:
    """Return the furthest ahead (seconds) any schedule puts an order's next
    check: an order that answers, and one held back for an error (the unknown
    backoff). A next check further ahead than that was set by a clock that has
    since been set back: the order is due now, not when the clock catches up."""
    return cadence.max_every, max(cadence.max_every, *UNKNOWN_BACKOFF)


def next_check(now: datetime, last_change: datetime | None, cadence: Cadence) -> datetime:
    """Given when an order last moved, return when it should next be checked.

    Orders that moved recently come back after ``every``; an order unchanged
    for a long time waits a quarter of that quiet time, capped at ``max_every``.
    A little slack keeps an order due at the next scheduled poll rather than
    the one after it.
    """
    quiet = (now - last_change).total_seconds() if last_change else 0.0
    interval = min(cadence.max_every, max(cadence.every, quiet / 4))
    slack = min(30.0, interval * 0.1)
    return now + timedelta(seconds=interval - slack)


# Orders that moved in the same second share their next check: computed and
# formatted once (keys are whole-second stamps, so the cache stays small).
@lru_cache(maxsize=1024)
def next_stamp(polled_at: datetime, last_change: str | None, cadence: Cadence) -> str:
    """Return :func:`next_check` as stored, for a poll begun at ``polled_at``."""
    changed = parse_iso(last_change) if last_change else None
    return iso(next_check(polled_at, changed, cadence))


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def apply_report(
    row: dict[str, Any],
    report: OrderStatus | None,
    now: datetime,
    cadence: Cadence,
    *,
    polled_at: datetime | None = None,
) -> Outcome:
    """Given a stored order row and the panel's report (None: the panel left the ID
    out of its answer), return the Outcome to store.

    The next check counts from ``polled_at``, when the poll that asked began
    (default: ``now``): polls run every ``cadence.every`` from their start, so
    an order answered late in a long poll is still due at the next one.
    """
    stamp = iso_shared(now)
    base = polled_at or now
    changes: dict[str, Any] = {"last_checked_at": stamp, "updated_at": stamp}
    if report is None or report.error is not None:
        error = NOT_IN_ANSWER if report is None or report.error is None else report.error
        return _unknown(row, error, now, base, cadence)

    status = report.status
    moved = status != row.get("status") or (
        report.remains is not None and report.remains != row.get("remains")
    )
    last_change = stamp if moved or not row.get("last_change_at") else row["last_change_at"]
    changes.update(STATUS_RESETS)
    changes.update(
        status=status,
        raw_status=report.raw_status,
        last_change_at=last_change,
        polling=0 if is_terminal(status) else 1,
        next_check_at=next_stamp(base, last_change, cadence),
    )
    # An ended order's charge given in another currency: the stored one kept.
    kept = charged_elsewhere(row.get("status"), row.get("currency"), report.currency)
    for field in ("remains", "start_count", "currency"):
        value = getattr(report, field)
        if value is not None and not (kept and field == "currency"):
            changes[field] = value
    if report.remains is None and is_terminal(status) and status != row.get("status"):
        changes["remains"] = None  # see the note above status_tuples.STATUS_WRITES
    if report.charge is not None and not kept:
        changes["charge"] = _num(report.charge)
    if is_terminal(status) and not row.get("completed_at"):
        changes["completed_at"] = stamp

    transition = None
    if status != row.get("status"):
        transition = {
            "panel": row["panel"],
            "order_id": row["order_id"],
            "at": stamp,
            "from_status": row.get("status"),
            "to_status": status,
            "remains": changes.get("remains", row.get("remains")),
            "charge": changes.get("charge", row.get("charge")),
            # not stored: for the alert (money back); none across a change of currency
            "charge_before": charge_before(row.get("charge"), row.get("currency"), report.currency),
            "currency": changes.get("currency", row.get("currency")),  # the charge's (m043)
            "raw_status": report.raw_status,
            # The change happened since the check before (or since tracked).
            "checked_before": row.get("last_checked_at") or row.get("created_at"),
        }
    return Outcome(changes, transition)


def _unknown(
    row: dict[str, Any], error: str, now: datetime, base: datetime, cadence: Cadence
) -> Outcome:
    """The panel called the order unknown (or left it out after it was asked
    again): back off, and after ``cadence.give_up`` stop polling it, for the record."""
    stamp = iso_shared(now)
    count = stored_count(row.get("error_count")) + 1  # text edited in by hand: 0
    since = row["unknown_since"] if read_iso(row.get("unknown_since")) else stamp  # or unreadable
    waited = (now - parse_iso(since)).total_seconds()
    if cadence.set_ahead:  # a clock set ahead since: no days of the panel calling it unknown
        waited -= set_ahead_since(cadence.set_ahead, parse_iso(since))
    changes: dict[str, Any] = {
        "last_checked_at": stamp,
        "updated_at": stamp,
        "error": error,
        "error_count": count,
        "unknown_since": since,
    }
    if waited >= cadence.give_up:
        changes.update(polling=0, stopped_by=STOPPED_BY_PANEL, stop_reason=error, stopped_at=stamp)
        lost = {
            "panel": row["panel"],
            "order_id": row["order_id"],
            "status": row.get("status"),
            "error": error,
            "unknown_since": since,
        }
        return Outcome(changes, lost=lost)
    wait = UNKNOWN_BACKOFF[min(count, len(UNKNOWN_BACKOFF)) - 1]
    wait = min(wait, max(cadence.give_up - waited, cadence.every))
    changes.update(polling=1, next_check_at=iso(base + timedelta(seconds=wait)))
    return Outcome(changes)

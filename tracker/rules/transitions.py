"""Pure decision logic for one status report: what changes, what is recorded.

Given an order's stored row and what the panel just said about it, return the
fields to update and the transition to record (if the status changed). No I/O;
``now`` is always passed in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from tracker.clock import iso, iso_shared, parse_iso, read_iso
from tracker.panel.statuses import is_terminal
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
        changes["remains"] = None  # see the note above STATUS_WRITES
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


# --- the hot path: one status report, as tuples ----------------------------------
#
# A poll where every order changes stores tens of thousands of reports; the
# store's writer runs this instead of apply_report for every report that has a
# status (the others, rare, go through apply_report). Same decisions, without
# building dicts: tests/test_transitions.py checks both agree.

# The stored columns status_update reads, in the order it takes them.
STATUS_READS = (
    "order_id",
    "status",
    "remains",
    "charge",
    "last_change_at",
    "polling",
    "last_checked_at",
    "created_at",
    "currency",
)
# An order reaching a final status with no readable remains (absent, null,
# "garbage", 1e30; or no delivery figure over a good one, "-99999999999" of
# 1000, which tracker.store.answers hands over as none) has an unknown remains: the one
# from before is not what was left undelivered, and a Partial's re-order and
# delivered figure read it. Before that, the last readable one is kept.
# status_update writes ``remains`` itself: the stored one kept, or None then.

# The columns it writes, in the order of its values; None keeps the stored
# value for the COALESCE'd ones (see tracker.store.answers).
STATUS_WRITES = (
    "raw_status",
    "remains",
    "start_count",
    "currency",
    "charge",
    "completed_at",
    "last_change_at",
    "next_check_at",
    "status",
    "polling",
)
# The columns it sets to the poll's stamp, whatever the report: not among its
# values (the writer binds the stamp once a statement, not once an order).
STATUS_STAMPED = ("last_checked_at", "updated_at")
# A transition row's columns, as the poll and the late checks insert them.
TRANSITION_COLUMNS = (
    "panel",
    "order_id",
    "at",
    "from_status",
    "to_status",
    "remains",
    "charge",
    "raw_status",
    "checked_before",
    "currency",  # the charge's (m043)
)
KEEP_IF_NONE = ("start_count", "currency", "charge", "completed_at")


def status_update(
    panel: str,
    stored: tuple[Any, ...],
    report: OrderStatus,
    stamp: str,
    base: datetime,
    cadence: Cadence,
) -> tuple[tuple[Any, ...], bool, dict[str, Any] | None]:
    """Given an order's STATUS_READS values, a report with a status, the poll's
    ``stamp`` (``iso(now)``) and ``base`` (when the poll began), return
    (values of STATUS_WRITES, whether status or polling change, the transition
    to record or None) — what :func:`apply_report` decides, as one tuple,
    with STATUS_STAMPED set to ``stamp``.

    A value of None under KEEP_IF_NONE keeps the stored one (``completed_at``
    is only ever set once); ``remains`` is written as returned.
    """
    (
        order_id,
        old_status,
        old_remains,
        old_charge,
        last_change,
        old_polling,
        checked,
        created,
        old_currency,
    ) = stored
    status = report.status
    remains = report.remains
    if status != old_status or (remains is not None and remains != old_remains) or not last_change:
        last_change = stamp
    terminal = is_terminal(status)
    polling = 0 if terminal else 1
    charge = None if report.charge is None else float(report.charge)
    currency = report.currency
    if charged_elsewhere(old_status, old_currency, currency):  # see apply_report
        charge = currency = None
    if remains is None and not (terminal and status != old_status):
        remains = old_remains  # kept (see the note above STATUS_WRITES)
    values = (
        report.raw_status,
        remains,
        report.start_count,
        currency,
        charge,
        stamp if terminal else None,
        last_change,
        next_stamp(base, last_change, cadence),
        status,
        polling,
    )
    if status == old_status:
        return values, polling != old_polling, None
    transition = {
        "panel": panel,
        "order_id": order_id,
        "at": stamp,
        "from_status": old_status,
        "to_status": status,
        "remains": remains,
        "charge": old_charge if charge is None else charge,
        "charge_before": charge_before(
            old_charge, old_currency, report.currency
        ),  # see apply_report
        "currency": old_currency if currency is None else currency,  # the charge's (m043)
        "raw_status": report.raw_status,
        "checked_before": checked or created,
    }
    return values, True, transition


def _unknown(
    row: dict[str, Any], error: str, now: datetime, base: datetime, cadence: Cadence
) -> Outcome:
    """The panel called the order unknown (or left it out after it was asked
    again): back off, and after ``cadence.give_up`` stop polling it, for the record."""
    stamp = iso_shared(now)
    count = stored_count(row.get("error_count")) + 1  # text edited in by hand: 0
    since = row["unknown_since"] if read_iso(row.get("unknown_since")) else stamp  # or unreadable
    waited = (now - parse_iso(since)).total_seconds()
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

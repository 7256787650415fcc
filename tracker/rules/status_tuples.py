"""The writer's hot path: one status report decided as tuples.

A poll where every order changes stores tens of thousands of reports; the
store's writer (:mod:`tracker.store.answers`) runs :func:`status_update`
instead of :func:`tracker.rules.transitions.apply_report` for every report
that has a status (the others, rare, go through apply_report). Same
decisions, without building dicts: tests/test_status_update.py checks both
agree. Pure: no I/O, the poll's stamp passed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from tracker.panel.statuses import is_terminal
from tracker.rules.late_checks import charge_before, charged_elsewhere
from tracker.rules.transitions import Cadence, next_stamp

if TYPE_CHECKING:  # a type only: importing it costs the read commands' start-up
    from tracker.panel.models import OrderStatus

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
    to record or None) — what :func:`~tracker.rules.transitions.apply_report`
    decides, as one tuple, with STATUS_STAMPED set to ``stamp``.

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
    if charged_elsewhere(old_status, old_currency, currency):  # see transitions.apply_report
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
        ),  # see transitions.apply_report
        "currency": old_currency if currency is None else currency,  # the charge's (m043)
        "raw_status": report.raw_status,
        "checked_before": checked or created,
    }
    return values, True, transition

"""One open order's stall judgement, as the stall watch stores it.

:func:`judge_row` reads a row of :func:`tracker.store.watch.open_orders`
into the facts :mod:`tracker.rules.stalls` judges, and returns the verdict
and the ``order_watch`` columns to store (stored text reused where a moment
did not change: formatting a datetime cost more than the rest).
:func:`quick_row` does the same for the usual order (no open stall episode,
no event) through :mod:`tracker.rules.quick_stalls`, on moments in
microseconds: 30.1k instructions per order instead of 69.5k (callgrind);
``tests/test_quick_stalls.py`` checks both store the same columns. The
watch's pass and the poll's judging ahead (:mod:`tracker.jobs.prejudge`)
read their orders narrowly (:mod:`tracker.store.watch_changed`), try
:func:`quick_row` first, and read in full only those it leaves to
:func:`judge_row`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.clock import iso_micros, iso_shared, micros_shared, parse_shared
from tracker.config.model import AutomationConfig
from tracker.rules.quick_stalls import quick_judge
from tracker.rules.stalls import (
    Judgement,
    OpenOrder,
    WatchState,
    confirmed,
    judge,
    recheck_at,
)
from tracker.store.watch import OpenRow
from tracker.store.watch_changed import ChangedRow


def stored_moment(value: str | None) -> datetime | None:
    """Given a stored moment (text, or None or ""), return it as a datetime or
    None; None too for one that does not parse (a file edited by hand)."""
    try:
        return parse_shared(value) if value else None
    except (TypeError, ValueError):
        return None


def watch_state(row: Any) -> WatchState:
    """Given a row with the ``order_watch`` columns as attributes, return its WatchState."""
    return WatchState(
        stored_moment(row.baseline_at),
        row.baseline_remains,
        stored_moment(row.eta),
        row.eta_basis,
        stored_moment(row.stalled_at),
        stored_moment(row.stalled_change_at),
        row.stall_reason,
    )


def _stamp(
    value: datetime | None,
    before: datetime | None,
    text: str | None,
    row: OpenRow,
    order: OpenOrder,
) -> str | None:
    """Return ``value`` as stored, reusing stored text where it can: the column's
    own ``text`` when it did not change, the order's stored last change when it
    is that moment (a new baseline is). Formatting a datetime costs more than
    the rest of an order's judgement."""
    if value is None:
        return None
    if value == before:
        return text
    if value == order.last_change_at:
        return row.last_change_at
    return iso_shared(value)


def _columns(
    state: WatchState,
    before: WatchState,
    row: OpenRow,
    order: OpenOrder,
    recheck: str | None,
) -> tuple[Any, ...]:
    """Return (order ID, watch columns, judged key, recheck time) to store for
    ``state``; ``before`` and ``row`` are what was stored, ``order`` what it
    was read as."""
    return (
        row.order_id,
        _stamp(state.baseline_at, before.baseline_at, row.baseline_at, row, order),
        state.baseline_remains,
        _stamp(state.eta, before.eta, row.eta, row, order),
        state.eta_basis,
        _stamp(state.stalled_at, before.stalled_at, row.stalled_at, row, order),
        _stamp(
            state.stalled_change_at, before.stalled_change_at, row.stalled_change_at, row, order
        ),
        state.stall_reason,
        row.judge_key,
        recheck,
        *_judged_by(row),
    )


def _judged_by(row: OpenRow) -> tuple[Any, ...]:
    """Return what an order is judged by, as m031's columns store it."""
    return row.status, row.remains, row.last_change_at, row.service, row.median


def open_order(row: OpenRow) -> OpenOrder:
    return OpenOrder(
        row.order_id,
        row.status,
        row.service,
        row.quantity,
        row.remains,
        parse_shared(row.created_at),
        stored_moment(row.last_change_at),
    )


def confirmed_row(row: OpenRow, now: datetime, late: float) -> bool:
    """Whether an open order's stored status speaks for ``now``: answered by
    the panel without an error, and not overdue for its check by more than
    ``late`` seconds (:func:`tracker.rules.stalls.confirmed`)."""
    checked, due = stored_moment(row.checked_at), stored_moment(row.next_check_at)
    return confirmed(checked, due, now, late)


def judge_row(
    row: OpenRow,
    config: AutomationConfig,
    medians: dict[int, float],
    now: datetime,
    *,
    seen: bool = True,
    unwatched: float = 0.0,
) -> tuple[Judgement, WatchState, tuple[Any, ...] | None]:
    """Judge one open order at ``now``; return the verdict, the state it was
    judged from, and the watch columns to store (None: nothing to store).
    Without ``seen`` no stall episode opens; ``unwatched`` seconds (the clock
    set ahead since its last change) count toward no stall
    (:func:`tracker.rules.stalls.judge`)."""
    order, before = open_order(row), watch_state(row)
    median = medians.get(order.service or 0)
    verdict = judge(order, before, config, median, now, seen=seen, unwatched=unwatched)
    recheck = recheck_at(order, verdict.state, config)
    recheck_text = iso_shared(recheck) if recheck is not None else None
    if (
        verdict.state != before
        or not row.watched
        or not row.unchanged
        or row.recheck_at != recheck_text
    ):
        return verdict, before, _columns(verdict.state, before, row, order, recheck_text)
    return verdict, before, None


def _text(
    value: int | None, before: int | None, text: str | None, last: int | None, last_text: str | None
) -> str | None:
    """:func:`_stamp` for a moment in microseconds (``last``: the order's
    stored last change, read from ``last_text``)."""
    if value is None:
        return None
    if value == before:
        return text
    if value == last:
        return last_text
    return iso_micros(value)


def quick_row(
    row: ChangedRow, config: AutomationConfig, medians: dict[int, float], now: int
) -> tuple[bool, tuple[Any, ...] | None]:
    """:func:`judge_row` for an order with no open stall episode whose verdict
    is no event, in microseconds (:mod:`tracker.rules.quick_stalls`): return
    (True, the watch columns to store or None), or (False, None) when the
    order is for :func:`judge_row` (stalled, or it stalls now). ``now`` is
    :func:`~tracker.clock.micros` of the moment judged at; ``row`` the narrow
    read's (:mod:`tracker.store.watch_changed`), its fields unpacked at once."""
    (
        order_id,
        status,
        service,
        remains,
        created_at,
        last_change_at,
        baseline_at,
        baseline_remains,
        eta_at,
        eta_basis,
        stalled_at,
        stalled_change_at,
        stall_reason,
        watched,
        recheck_at,
        unchanged,
        median,
        judge_key,
    ) = row
    if stalled_at:
        return False, None
    base_before = micros_shared(baseline_at) if baseline_at else None
    last = micros_shared(last_change_at) if last_change_at else None
    quick = quick_judge(
        status,
        service,
        remains,
        micros_shared(created_at),
        last,
        base_before,
        baseline_remains,
        config,
        medians.get(service or 0),
        now,
    )
    if quick is None:
        return False, None
    (eta, base_at, base_remains, basis), recheck = quick
    recheck_text = iso_micros(recheck) if recheck is not None else None
    eta_before = micros_shared(eta_at) if eta_at else None
    if (
        base_at == base_before
        and base_remains == baseline_remains
        and eta == eta_before
        and basis == eta_basis
        and watched
        and unchanged
        and recheck_at == recheck_text
    ):
        return True, None
    return True, (
        order_id,
        _text(base_at, base_before, baseline_at, last, last_change_at),
        base_remains,
        _text(eta, eta_before, eta_at, last, last_change_at),
        basis,
        None,
        stalled_change_at or None,
        stall_reason,
        judge_key,
        recheck_text,
        status,
        remains,
        last_change_at,
        service,
        median,
    )

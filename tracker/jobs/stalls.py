"""Stall detection and expected completion for one panel: facts in, alerts out.

Wiring only: the store gives each open order and what was last judged of it
(narrowly, :mod:`tracker.store.watch_changed`: the orders the quick judgement
leaves to :func:`~tracker.jobs.judging.judge_row` read again in full),
:mod:`tracker.rules.stalls` judges, and the verdicts are stored in
``order_watch`` *before* the alerts are raised, so a crash in between can cost
an alert but never repeat one. Stalled orders are alerted as one
``order_stalled`` per panel and run (every order in ``data.orders``), orders
moving again (or ended Completed) as one ``order_moving``; an order that ended
Canceled, Refunded or Partial ends its episode with that status's own alert.
An order stopped (lost, untracked) while stalled keeps its episode: resumed
by ``track``, it is not told stalled again for the same stall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import iso, micros, parse_iso
from tracker.config.model import AutomationConfig
from tracker.jobs.judging import confirmed_row, judge_row, quick_row, stored_moment, watch_state
from tracker.panel.statuses import is_terminal
from tracker.rules.alerts import order_ids, rough_duration
from tracker.rules.clocksteps import SetAhead, set_ahead_since
from tracker.rules.counts import counted
from tracker.rules.episodes import Alert, listed
from tracker.rules.reach_episodes import BLINDING, panel_blind
from tracker.rules.stalls import (
    MOVING,
    STALLED,
    WatchState,
    finished,
    kept_while_stopped,
    median_seconds,
)
from tracker.store.sql import chunks
from tracker.store.watch import (
    OpenRow,
    closed_watches,
    completed_durations,
    drop_watches,
    open_orders,
    save_basis,
    save_watches,
    watch_basis,
)
from tracker.store.watch_changed import ChangedRow, due_orders, narrowed

log = structlog.get_logger("tracker.stalls")

ORDER_STALLED = "order_stalled"
ORDER_MOVING = "order_moving"
PAGE = 1000
MEDIAN_WINDOW = 30 * 86400.0  # completed orders this recent make a service's median


def basis_of(config: AutomationConfig) -> str:
    """Return the stall settings every judgement depends on, as stored text: when
    they change, every open order is judged again."""
    return repr((config.stalls, config.stall_after, config.stall_after_service, config.eta_overdue))


def service_medians(store: Any, panel: str, now: datetime) -> dict[int, float]:
    """Return each service's median seconds from first seen to Completed over the
    last MEDIAN_WINDOW (services with enough completed orders)."""
    return median_seconds(completed_durations(store, panel, now - timedelta(seconds=MEDIAN_WINDOW)))


def watch_stalls(
    store: Any,
    panel: str,
    config: AutomationConfig,
    alerter: Alerter,
    clock: Callable[[], datetime],
    medians: dict[int, float] | None = None,
    *,
    late: float,
    held_before: int = 0,
    ahead: Sequence[SetAhead] = (),
) -> dict[str, int]:
    """Judge a panel's open orders: store each one's eta and stall episode,
    alert on episodes that open or end; return counts (judged, stalled, moving,
    held).

    An order is judged again only when something it is judged by changed
    (its status, remains, last change, service or the service's median) or
    when its ``recheck_at`` has come (time alone can stall it); every open
    order when the stall settings changed since the last pass.

    No episode opens for an order whose status the panel has not confirmed
    lately (``late``: the seconds a due order may wait for its check), nor for
    any order of a panel with an open ``panel_unreachable`` or ``auth_failed``
    episode: those that would have stalled are counted ``held``, and judged
    again at the next pass (their ``recheck_at`` has come).

    ``medians`` (each service's median seconds to complete) is read from the
    store when not given: :func:`service_medians`. ``held_before``: the last
    pass's ``held``; the same hold again is no news (its line at debug).

    ``ahead``: the wall clock's forward steps seen
    (:func:`tracker.rules.clocksteps.seen_ahead`): the time it was set ahead
    since an order's last change counts toward no stall, so a clock stepped
    hours ahead stalls no order at once. A sleep told by the boot clock is
    real time (the panel kept working while this machine slept) and counts.
    None seen (the usual case): one check per pass, no work per order."""
    now = clock()
    if medians is None:
        medians = service_medians(store, panel, now)
    blind = panel_blind(alerter.episode(panel, kind) for kind in BLINDING)
    basis = basis_of(config)
    # Only what a judgement now can change, unless the settings changed since
    # the last pass (then every open order: thresholds apply to all).
    full = watch_basis(store, panel) != basis
    due = None if full else now
    stalled: list[dict[str, Any]] = []
    moving: list[dict[str, Any]] = []
    judged, held, after, at = 0, 0, 0, micros(now)
    whole = False  # most of the last page was left to judge_row: read this one in full
    quick_judged = _quick_ahead(ahead) if ahead else quick_row
    while True:
        rows, full_rows = _page(store, panel, after, medians, due, whole=whole)
        if not rows:
            break
        after = rows[-1].order_id
        changed: list[tuple[Any, ...]] = []
        slow: list[int] = []  # stalled, or an event: judged by judge_row, from their full rows
        for narrow in rows:
            quick, columns = quick_judged(narrow, config, medians, at)
            if not quick:
                slow.append(narrow.order_id)
            elif columns is not None:
                changed.append(columns)
        whole = 2 * len(slow) > len(rows)
        for row in _left(store, panel, slow, medians, full_rows):
            seen = not blind and confirmed_row(row, now, late)
            held += not (seen or row.stalled_at)  # quick_row left it: it stalls now
            unwatched = _unwatched(ahead, row.last_change_at or row.created_at)
            verdict, before, columns = judge_row(
                row, config, medians, now, seen=seen, unwatched=unwatched
            )
            if columns is not None:
                changed.append(columns)
            if verdict.event == STALLED:
                stalled.append(_facts(row, verdict.state, now, unwatched))
            elif verdict.event == MOVING:
                facts = _facts(row, verdict.state, now)
                moving.append({**facts, "stalled_at": iso(before.stalled_at or now)})
        save_watches(store, panel, changed, now)
        judged += len(rows)
    if full:
        save_basis(store, panel, basis, now)
    gone: list[int] = []
    for closed in closed_watches(store, panel):
        before, last = watch_state(closed), stored_moment(closed.last_change_at)
        if kept_while_stopped(before, last, stopped=bool(closed.stopped)):
            continue  # its stall told already: `track` resumes it with its episode
        gone.append(closed.order_id)
        if finished(before, last, closed.status) == MOVING:
            moving.append(
                {
                    "order_id": closed.order_id,
                    "status": closed.status,
                    "remains": closed.remains,
                    "stalled_at": iso(before.stalled_at or now),
                }
            )
    drop_watches(store, panel, gone)
    if stalled:
        alerter.raise_alert(_stalled_alert(panel, stalled))
    if moving:
        alerter.raise_alert(_moving_alert(panel, moving, now))
    counts = {"judged": judged, "stalled": len(stalled), "moving": len(moving), "held": held}
    news = stalled or moving or held != held_before  # an episode opened or ended, a hold changed
    told = log.info if news else log.debug
    told("stalls_checked", panel=panel, full=full, **counts)
    return counts


def _unwatched(ahead: Sequence[SetAhead], last: str | None) -> float:
    """Return the seconds the clock was set ahead since an order's stored
    last change (0.0: no step seen, or the moment does not parse)."""
    moment = stored_moment(last) if ahead else None
    return set_ahead_since(ahead, moment) if moment is not None else 0.0


def _quick_ahead(ahead: Sequence[SetAhead]) -> Callable[..., tuple[bool, Any]]:
    """Return :func:`~tracker.jobs.judging.quick_row` judging each order at
    ``now`` less the time the clock was set ahead since its last change."""

    def judged(row: ChangedRow, config: AutomationConfig, medians: Any, at: int) -> Any:
        unwatched = _unwatched(ahead, row.last_change_at or row.created_at)
        return quick_row(row, config, medians, at - round(unwatched * 1_000_000))

    return judged


def _page(
    store: Any,
    panel: str,
    after: int,
    medians: dict[int, float],
    due: datetime | None,
    *,
    whole: bool,
) -> tuple[list[ChangedRow], list[OpenRow] | None]:
    """Return the pass's next page of due open orders above ID ``after``, read
    narrowly (and None), or with ``whole`` read in full (narrowed, and the full
    rows): when most orders are left to judge_row (many stall at once, or are
    held while the panel is down), reading each twice costs more than once."""
    if not whole:
        return due_orders(store, panel, after=after, limit=PAGE, medians=medians, due=due), None
    rows = open_orders(store, panel, after=after, limit=PAGE, medians=medians, due=due)
    return [narrowed(row) for row in rows], rows


def _left(
    store: Any,
    panel: str,
    ids: list[int],
    medians: dict[int, float],
    rows: list[OpenRow] | None,
) -> Iterator[OpenRow]:
    """Yield those of a panel's orders ``ids`` (ascending) still open, in full,
    by order ID: from the page's full ``rows`` when it was read so, else read
    again (:func:`~tracker.store.watch.open_orders`)."""
    if rows is not None:
        wanted = set(ids)
        yield from (row for row in rows if row.order_id in wanted)
        return
    for chunk in chunks(ids):
        yield from open_orders(
            store, panel, after=chunk[0] - 1, limit=len(chunk), medians=medians, among=chunk
        )


def _facts(
    row: OpenRow, state: WatchState, now: datetime, unwatched: float = 0.0
) -> dict[str, Any]:
    last = row.last_change_at or row.created_at
    return {
        "order_id": row.order_id,
        "status": row.status,
        "service": row.service,
        "quantity": row.quantity,
        "remains": row.remains,
        "start_count": row.start_count,
        "charge": row.charge,
        "currency": row.currency,
        "first_seen": row.created_at,
        "age_seconds": int((now - parse_iso(row.created_at)).total_seconds()),
        "last_change_at": last,
        "unchanged_seconds": int((now - parse_iso(last)).total_seconds() - unwatched),
        "eta": iso(state.eta) if state.eta else None,
        "reason": state.stall_reason,
    }


def _ids(orders: list[dict[str, Any]], where: str = "") -> str:
    return order_ids([o["order_id"] for o in orders], where)


def _stalled_alert(panel: str, orders: list[dict[str, Any]]) -> Alert:
    if len(orders) == 1:
        o = orders[0]
        numbers = f"remains {o['remains']}" + (f" of {o['quantity']}" if o["quantity"] else "")
        message = (
            f"{panel}: order #{o['order_id']} stalled: {o['reason']} "
            f"(unchanged {rough_duration(o['unchanged_seconds'])} since {o['last_change_at']}, "
            f"age {rough_duration(o['age_seconds'])}, {numbers})"
        )
    else:
        longest = rough_duration(max(o["unchanged_seconds"] for o in orders))
        message = (
            f"{panel}: {counted(len(orders), 'order')} stalled: {_ids(orders)} (the longest "
            f"unchanged {longest}; `smm-tracker orders --stalled` lists each with why)"
        )
    return Alert(ORDER_STALLED, message, panel=panel, data=listed(orders))


def _moving_alert(panel: str, orders: list[dict[str, Any]], now: datetime) -> Alert:
    for o in orders:
        o["stalled_seconds"] = int((now - parse_iso(o["stalled_at"])).total_seconds())
    ended = sum(is_terminal(o["status"]) for o in orders)  # Completed is not "moving again"
    if len(orders) == 1:
        o = orders[0]
        said = f"ended {o['status']} (" if ended else f"is moving again ({o['status']}, "
        message = (
            f"{panel}: order #{o['order_id']} {said}remains "
            f"{o['remains']}) after {rough_duration(o['stalled_seconds'])} stalled"
        )
    else:
        went = "ended" if ended == len(orders) else "are moving again or ended"
        went = went if ended else "are moving again"
        moved = counted(len(orders), "stalled order")
        message = f"{panel}: {moved} {went}: {_ids(orders, 'orders')}"
    return Alert(ORDER_MOVING, message, panel=panel, data=listed(orders))

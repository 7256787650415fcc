"""Stall detection and expected completion for one panel: facts in, alerts out.

Wiring only: the store gives each open order and what was last judged of it,
:mod:`tracker.rules.stalls` judges, and the verdicts are stored in
``order_watch`` *before* the alerts are raised, so a crash in between can cost
an alert but never repeat one. Stalled orders are alerted as one
``order_stalled`` per panel and run (every order in ``data.orders``), orders
moving again as one ``order_moving``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import iso, iso_shared, parse_iso, parse_shared
from tracker.config.model import AutomationConfig
from tracker.rules.alerts import rough_duration
from tracker.rules.episodes import Alert
from tracker.rules.stalls import (
    MOVING,
    STALLED,
    Judgement,
    OpenOrder,
    WatchState,
    finished,
    judge,
    median_seconds,
    recheck_at,
)
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

log = structlog.get_logger("tracker.stalls")

ORDER_STALLED = "order_stalled"
ORDER_MOVING = "order_moving"
PAGE = 1000
MEDIAN_WINDOW = 30 * 86400.0  # completed orders this recent make a service's median
_SHOWN = 5  # order IDs named in a grouped alert's message
MAX_LISTED = 100  # orders listed in an alert's data (data.count has them all)


def _time(value: str | None) -> datetime | None:
    return parse_shared(value) if value else None


def watch_state(row: Any) -> WatchState:
    """Given a row with the ``order_watch`` columns as attributes, return its WatchState."""
    return WatchState(
        _time(row.baseline_at),
        row.baseline_remains,
        _time(row.eta),
        row.eta_basis,
        _time(row.stalled_at),
        _time(row.stalled_change_at),
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
    )


def basis_of(config: AutomationConfig) -> str:
    """Return the stall settings every judgement depends on, as stored text: when
    they change, every open order is judged again."""
    return repr((config.stalls, config.stall_after, config.stall_after_service, config.eta_overdue))


def open_order(row: OpenRow) -> OpenOrder:
    return OpenOrder(
        row.order_id,
        row.status,
        row.service,
        row.quantity,
        row.remains,
        parse_shared(row.created_at),
        _time(row.last_change_at),
    )


def service_medians(store: Any, panel: str, now: datetime) -> dict[int, float]:
    """Return each service's median seconds from first seen to Completed over the
    last MEDIAN_WINDOW (services with enough completed orders)."""
    return median_seconds(completed_durations(store, panel, now - timedelta(seconds=MEDIAN_WINDOW)))


def judge_row(
    row: OpenRow, config: AutomationConfig, medians: dict[int, float], now: datetime
) -> tuple[Judgement, WatchState, tuple[Any, ...] | None]:
    """Judge one open order at ``now``; return the verdict, the state it was
    judged from, and the watch columns to store (None: nothing to store)."""
    order, before = open_order(row), watch_state(row)
    verdict = judge(order, before, config, medians.get(order.service or 0), now)
    recheck = recheck_at(order, verdict.state, config)
    recheck_text = iso_shared(recheck) if recheck is not None else None
    if (
        verdict.state != before
        or not row.watched
        or row.judged_key != row.judge_key
        or row.recheck_at != recheck_text
    ):
        return verdict, before, _columns(verdict.state, before, row, order, recheck_text)
    return verdict, before, None


def watch_stalls(
    store: Any,
    panel: str,
    config: AutomationConfig,
    alerter: Alerter,
    clock: Callable[[], datetime],
    medians: dict[int, float] | None = None,
) -> dict[str, int]:
    """Judge a panel's open orders: store each one's eta and stall episode,
    alert on episodes that open or end; return counts (judged, stalled, moving).

    An order is judged again only when something it is judged by changed
    (its status, remains, last change, service or the service's median) or
    when its ``recheck_at`` has come (time alone can stall it); every open
    order when the stall settings changed since the last pass.

    ``medians`` (each service's median seconds to complete) is read from the
    store when not given: :func:`service_medians`."""
    now = clock()
    if medians is None:
        medians = service_medians(store, panel, now)
    basis = basis_of(config)
    # Only what a judgement now can change, unless the settings changed since
    # the last pass (then every open order: thresholds apply to all).
    full = watch_basis(store, panel) != basis
    due = None if full else now
    stalled: list[dict[str, Any]] = []
    moving: list[dict[str, Any]] = []
    judged, after = 0, 0
    while rows := open_orders(store, panel, after=after, limit=PAGE, medians=medians, due=due):
        after = rows[-1].order_id
        changed: list[tuple[Any, ...]] = []
        for row in rows:
            verdict, before, columns = judge_row(row, config, medians, now)
            if columns is not None:
                changed.append(columns)
            if verdict.event == STALLED:
                stalled.append(_facts(row, verdict.state, now))
            elif verdict.event == MOVING:
                facts = _facts(row, verdict.state, now)
                moving.append({**facts, "stalled_at": iso(before.stalled_at or now)})
        save_watches(store, panel, changed, now)
        judged += len(rows)
    if full:
        save_basis(store, panel, basis, now)
    gone = closed_watches(store, panel)
    for closed in gone:
        before = watch_state(closed)
        if finished(before, _time(closed.last_change_at)) == MOVING:
            moving.append(
                {
                    "order_id": closed.order_id,
                    "status": closed.status,
                    "remains": closed.remains,
                    "stalled_at": iso(before.stalled_at or now),
                }
            )
    drop_watches(store, panel, [r.order_id for r in gone])
    if stalled:
        alerter.raise_alert(_stalled_alert(panel, stalled))
    if moving:
        alerter.raise_alert(_moving_alert(panel, moving, now))
    counts = {"judged": judged, "stalled": len(stalled), "moving": len(moving)}
    log.info("stalls_checked", panel=panel, full=full, **counts)
    return counts


def _facts(row: OpenRow, state: WatchState, now: datetime) -> dict[str, Any]:
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
        "unchanged_seconds": int((now - parse_iso(last)).total_seconds()),
        "eta": iso(state.eta) if state.eta else None,
        "reason": state.stall_reason,
    }


def _listed(orders: list[dict[str, Any]]) -> dict[str, Any]:
    """Return an alert's data: how many orders, and the first MAX_LISTED of them
    (a backlog stalling at once must not make a megabyte webhook body)."""
    return {"count": len(orders), "orders": orders[:MAX_LISTED]}


def _ids(orders: list[dict[str, Any]]) -> str:
    shown = ", ".join(f"#{o['order_id']}" for o in orders[:_SHOWN])
    return shown + (f" and {len(orders) - _SHOWN} more" if len(orders) > _SHOWN else "")


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
        message = f"{panel}: {len(orders)} orders stalled: {_ids(orders)}"
    return Alert(ORDER_STALLED, message, panel=panel, data=_listed(orders))


def _moving_alert(panel: str, orders: list[dict[str, Any]], now: datetime) -> Alert:
    for o in orders:
        o["stalled_seconds"] = int((now - parse_iso(o["stalled_at"])).total_seconds())
    if len(orders) == 1:
        o = orders[0]
        message = (
            f"{panel}: order #{o['order_id']} is moving again ({o['status']}, remains "
            f"{o['remains']}) after {rough_duration(o['stalled_seconds'])} stalled"
        )
    else:
        message = f"{panel}: {len(orders)} stalled orders are moving again: {_ids(orders)}"
    return Alert(ORDER_MOVING, message, panel=panel, data=_listed(orders))

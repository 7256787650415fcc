"""Sending refill requests: record first, send once, store the answer.

A refill request is not idempotent, so each one is written to ``refills``
(status Requesting) and committed *before* it is sent; the answer then
updates that row, ``requested_at`` to its time (what the cooldown counts
from). A request that may have reached the panel is never sent again here: a
lost answer is stored as Unknown and counts as a request. Only one certainly
never sent (connection refused, key refused, shutdown) has its row deleted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from tracker.clock import iso, iso_up, parse_iso
from tracker.errors import (
    AuthError,
    NoOrderNamedError,
    OutcomeUnknownError,
    PanelAnswerError,
    PanelError,
    StopRequested,
    TransientError,
)
from tracker.panel.client import MAX_IDS, PanelClient, WholeCallRefused
from tracker.panel.models import RefillRequest
from tracker.panel.refusals import is_busy
from tracker.rules.capabilities import (
    REFILL_ORDERS,
    evidence,
    multi_unsupported,
    reads_no_orders,
)
from tracker.rules.refill_states import UNKNOWN
from tracker.rules.refills import NOT_IN_ANSWER, answered, lost, refused
from tracker.rules.running_refills import refused_running, running_now
from tracker.store.capabilities import is_unsupported, learn
from tracker.store.orders import Store
from tracker.store.refills import begin_requests, forget_unsent, requests_of, update_refills

log = structlog.get_logger("tracker.refill")

# After this many failed calls a run stops; the orders not sent stay eligible.
MAX_FAILED_CALLS = 3


@dataclass
class PanelModes:
    """What this process learned about one panel: whether it accepts multi-ID
    ``refill`` and ``refill_status`` calls. Starts optimistic; a multi
    ``refill`` call refused ("Incorrect request") while single ones are read,
    or answered naming no order, is learned for every process too
    (``panel_capabilities``, :data:`REFILL_ORDERS`)."""

    multi_refill: bool = True
    multi_refill_status: bool = True
    untrusted_told: bool = False  # refill_status_not_trusted warned; debug until trusted again


@dataclass
class RequestResult:
    sent: int = 0
    accepted: int = 0
    refused: int = 0
    unknown: int = 0
    unsent: int = 0
    calls: int = 0
    errors: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    auth_failed: bool = False
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)  # by order ID
    # The panel's words when it turned out to have no refill action at all.
    unsupported: str | None = None
    raced: list[int] = field(default_factory=list)  # requested meanwhile elsewhere: not sent
    running: list[str] = field(default_factory=list)  # refill IDs refusals said still run

    def count(self, fields: dict[str, Any]) -> None:
        self.sent += 1
        if fields["refill_id"] is not None:
            self.accepted += 1
        elif fields["status"] == UNKNOWN:
            self.unknown += 1
        else:
            self.refused += 1


def request_refills(
    store: Store,
    client: PanelClient,
    order_ids: Sequence[int],
    *,
    clock: Callable[[], datetime],
    modes: PanelModes,
    source: str = "auto",
    stop_event: threading.Event | None = None,
    seen: Mapping[int, int] | None = None,
) -> RequestResult:
    """Request refills of ``order_ids`` (multi-order calls of up to 100 where the
    panel takes them, single calls otherwise); return what happened. With
    ``seen`` (see :func:`~tracker.store.refills.begin_requests`), an order
    requested meanwhile by another process is not sent (``result.raced``).

    Failures are counted in the result, not raised. A transient failure or a
    refused key ends the run early; the orders not sent stay eligible.
    """
    stop = stop_event or threading.Event()
    result = RequestResult()
    if modes.multi_refill and len(order_ids) > 1:  # learned by another process?
        modes.multi_refill = not is_unsupported(store, client.name, REFILL_ORDERS)
    for start in range(0, len(order_ids), MAX_IDS):
        if stop.is_set() or _gave_up(result):
            break
        batch = list(order_ids[start : start + MAX_IDS])
        rows = begin_requests(store, client.name, batch, clock(), source=source, seen=seen)
        raced = [o for o in batch if o not in rows]
        if raced:
            log.warning("refill_requested_meanwhile", panel=client.name, orders=raced)
            result.raced.extend(raced)
        if not rows:
            continue
        if modes.multi_refill and len(batch) > 1:
            _send_multi(store, client, rows, clock, modes, stop, result)
        else:
            _send_singles(store, client, rows, clock, stop, result)
    counts = {k: getattr(result, k) for k in ("sent", "accepted", "refused", "unknown")}
    log.info("refill_requests_done", panel=client.name, errors=len(result.errors), **counts)
    return result


def _still_running(
    store: Store,
    panel: str,
    answers: dict[int, dict[str, Any]],
    clock: Callable[[], datetime],
    result: RequestResult,
) -> None:
    """Read as In progress the earlier refill of each order one call's answers
    refused "still running" (never a whole multi call's refusal: whose is it?)."""
    running = [o for o, fields in answers.items() if refused_running(fields)]
    if not running:
        return
    updates: dict[int, dict[str, Any]] = {}
    for history in requests_of(store, panel, running).values():
        updates.update(running_now(history))
    changes = update_refills(store, updates, clock())
    result.running.extend(str(c["refill_id"]) for c in changes)
    if changes:
        log.info("refill_still_running", panel=panel, refills=result.running)
    result.changes.extend(changes)


def _gave_up(result: RequestResult) -> bool:
    """Return True once sending more would only repeat a failure (key refused,
    panel unreachable, or several answers lost in a row)."""
    return (
        result.auth_failed
        or result.unsent > 0
        or result.unsupported is not None
        or len(result.errors) >= MAX_FAILED_CALLS
    )


def _finish(
    store: Store,
    rows: dict[int, int],
    fields: dict[int, dict[str, Any]],
    clock: Callable[[], datetime],
    result: RequestResult,
) -> None:
    """Store the answers (fields by order ID) of requests already sent, stamped
    with the answer's time: the panel's own cooldown counts from no later."""
    for order_id, values in fields.items():
        result.count(values)
        result.answers[order_id] = values
    now = parse_iso(iso_up(clock()))  # one whole second: updated_at is never before requested_at
    updates = {rows[o]: {**values, "requested_at": iso(now)} for o, values in fields.items()}
    result.changes.extend(update_refills(store, updates, now))


def _unsent(
    store: Store, rows: dict[int, int], order_ids: Sequence[int], result: RequestResult
) -> None:
    forget_unsent(store, [rows[o] for o in order_ids])
    result.unsent += len(order_ids)


def _send_multi(
    store: Store,
    client: PanelClient,
    rows: dict[int, int],
    clock: Callable[[], datetime],
    modes: PanelModes,
    stop: threading.Event,
    result: RequestResult,
) -> None:
    order_ids = list(rows)
    result.calls += 1
    try:
        answers = client.refills(order_ids)
    except StopRequested:  # stopping, not failing: asked again next round
        result.calls -= 1
        _unsent(store, rows, order_ids, result)
        return
    except AuthError as exc:
        _failed(result, client, exc, auth=True)
        _unsent(store, rows, order_ids, result)
        return
    except TransientError as exc:  # non-idempotent: raised only when certainly not sent
        _failed(result, client, exc)
        _unsent(store, rows, order_ids, result)
        return
    except OutcomeUnknownError as exc:
        _failed(result, client, exc)
        _finish(store, rows, {o: lost(exc.detail) for o in order_ids}, clock, result)
        return
    except PanelAnswerError as exc:
        if is_busy(exc.detail):  # HTTP 429 in words: nothing asked, asked again next round
            _failed(result, client, exc)
            _unsent(store, rows, order_ids, result)
            return
        # A panel lacking refill and one reading only ``order`` may refuse this call
        # alike: the single calls tell (the first one, when refill is missing).
        if multi_unsupported(exc) or client.lacks_action("refill", exc.detail):
            # The panel read no order from this call: nothing was requested.
            log.warning("multi_refill_unsupported", panel=client.name, answer=exc.detail)
            modes.multi_refill = False
            known = len(result.answers)
            _send_singles(store, client, rows, clock, stop, result)
            read = result.unsupported is None and len(result.answers) > known  # singles are read
            # For good when it reads no such field; for one unknown ID, this call only.
            modes.multi_refill = not (read and reads_no_orders(exc.detail))
            if not modes.multi_refill:
                said = evidence(f"answered {exc.detail!r}")
                learn(store, client.name, REFILL_ORDERS, False, said, clock())
            return
        if isinstance(exc, WholeCallRefused):  # an order in it provoked it: each alone tells
            log.warning("multi_refill_refused", panel=client.name, answer=exc.detail)
            return _send_singles(store, client, rows, clock, stop, result)
        _finish(store, rows, {o: refused(exc.detail) for o in order_ids}, clock, result)
        return
    except NoOrderNamedError as exc:  # it may have acted: these stay Unknown
        # Multi calls would use up every order's requests the same way.
        log.warning("multi_refill_names_no_order", panel=client.name, answer=exc.detail)
        modes.multi_refill = False
        why = f"{exc.detail}; asked one order at a time from now on"
        _finish(store, rows, {o: lost(why) for o in order_ids}, clock, result)
        learn(store, client.name, REFILL_ORDERS, False, evidence(exc.detail), clock())
        return
    except PanelError as exc:  # garbled answer: the panel may have acted
        _failed(result, client, exc)
        _finish(store, rows, {o: lost(exc.detail) for o in order_ids}, clock, result)
        return
    fields = _by_order(order_ids, answers)
    _finish(store, rows, fields, clock, result)
    _still_running(store, client.name, fields, clock, result)


def _by_order(order_ids: list[int], answers: list[RefillRequest]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for answer in answers:
        if answer.order_id in order_ids and answer.order_id not in found:
            found[answer.order_id] = answered(answer)
    return {o: found.get(o) or lost(NOT_IN_ANSWER) for o in order_ids}  # left out: maybe asked


def _send_singles(
    store: Store,
    client: PanelClient,
    rows: dict[int, int],
    clock: Callable[[], datetime],
    stop: threading.Event,
    result: RequestResult,
) -> None:
    order_ids = list(rows)
    for index, order_id in enumerate(order_ids):
        if stop.is_set() or _gave_up(result):
            _unsent(store, rows, order_ids[index:], result)
            return
        result.calls += 1
        try:
            fields = answered(client.refill(order_id))
        except StopRequested:  # stopping, not failing: asked again next round
            result.calls -= 1
            _unsent(store, rows, order_ids[index:], result)
            return
        except (AuthError, TransientError) as exc:
            _failed(result, client, exc, auth=isinstance(exc, AuthError))
            _unsent(store, rows, order_ids[index:], result)
            return
        except PanelError as exc:  # lost or garbled answer: it may have been acted on
            _failed(result, client, exc)
            fields = lost(exc.detail)
        refusal = fields["error"] if fields["refill_id"] is None else None
        if fields["status"] != UNKNOWN and refusal and is_busy(refusal):
            # "Too many requests": HTTP 429 in words, no refusal of the order;
            # this and the rest are asked again next round.
            _failed(result, client, PanelAnswerError(f"panel busy: {refusal}"))
            _unsent(store, rows, order_ids[index:], result)
            return
        if fields["status"] != UNKNOWN and refusal and client.lacks_action("refill", refusal):
            result.unsupported = refusal  # stops the run (see _gave_up)
        # Stored at once: a crash later in the batch must not lose this answer.
        _finish(store, rows, {order_id: fields}, clock, result)
        _still_running(store, client.name, {order_id: fields}, clock, result)


def _failed(
    result: RequestResult, client: PanelClient, exc: PanelError, auth: bool = False
) -> None:
    result.errors.append(str(exc))
    result.auth_failed = result.auth_failed or auth
    log.error("refill_request_failed", panel=client.name, error=str(exc))

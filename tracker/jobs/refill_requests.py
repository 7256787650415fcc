"""Sending refill requests: record first, send once, store the answer.

A refill request is not idempotent, so each one is written to ``refills``
(status Requesting) and committed *before* it is sent; the answer then
updates that row, ``requested_at`` to its time (what the cooldown counts
from). A request that may have reached the panel is never sent again here: a
lost answer is stored as Unknown and counts as a request. Only one certainly
never sent (connection refused, key refused, shutdown) has its row deleted.
The calls of one order each are :mod:`tracker.jobs.refill_singles`'.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

import structlog

from tracker.errors import (
    AuthError,
    NoOrderNamedError,
    OutcomeUnknownError,
    PanelAnswerError,
    PanelError,
    StopRequested,
    TransientError,
)
from tracker.jobs.refill_multi import FOR_GOOD, THIS_ROUND, named_no_order, refused_so
from tracker.jobs.refill_outcomes import (
    RequestResult,
    failed,
    finish,
    gave_up,
    still_running,
    unsent,
)
from tracker.jobs.refill_singles import PanelModes
from tracker.jobs.refill_singles import send_singles as _send_singles
from tracker.jobs.refused_once import succeeded
from tracker.jobs.round_lines import tell_multi_refused
from tracker.panel.client import MAX_IDS, PanelClient, WholeCallRefused
from tracker.panel.models import RefillRequest
from tracker.panel.refusals import is_busy
from tracker.rules.alerts import order_ids as shown_ids
from tracker.rules.capabilities import (
    REFILL_ORDERS,
    multi_unsupported,
    reads_no_orders,
)
from tracker.rules.failing_jobs import REFILL_REQUEST_FAILED
from tracker.rules.refills import NOT_IN_ANSWER, answered, busy_refusal, lost, refused
from tracker.store.capabilities import is_unsupported, refused_before
from tracker.store.orders import Store
from tracker.store.refills import begin_requests
from tracker.store.told_marks import failing, told_once

log = structlog.get_logger("tracker.refill")


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
    recording: Callable[[], AbstractContextManager[object]] = nullcontext,
    result: RequestResult | None = None,
) -> RequestResult:
    """Request refills of ``order_ids`` (multi-order calls of up to 100 where the
    panel takes them, single calls otherwise); return what happened. With
    ``seen`` (see :func:`~tracker.store.refills.begin_requests`), an order
    requested meanwhile by another process is not sent (``result.raced``).

    Failures are counted in the result, not raised. A transient failure or a
    refused key ends the run early; the orders not sent stay eligible.

    Each batch's rows are written inside ``recording()`` (`refill`'s: one
    step a Ctrl-C cannot cut). When it raises StopRequested or
    KeyboardInterrupt once the rows are written, they are given back (nothing
    was sent): the run ends there, the KeyboardInterrupt raised again.

    ``result``, the caller's, is filled in as the run goes: raised out of
    storing an answer, its ``unstored`` holds what the panel answered.
    """
    stop = stop_event or threading.Event()
    result = RequestResult() if result is None else result
    result.waiting = refused_before(store, client.name, "refill", client.panel.url) is not None
    auto = source == "auto"  # a round's: told once per run of calls not sent, across runs
    result.told = auto and failing(store, client.name, REFILL_REQUEST_FAILED)
    if modes.multi_refill and len(order_ids) > 1:  # learned by another process?
        modes.multi_refill = not is_unsupported(store, client.name, REFILL_ORDERS, client.panel.url)
    multi = modes.multi_refill  # this round's: off after a first refusal too
    for start in range(0, len(order_ids), MAX_IDS):
        if stop.is_set() or gave_up(result):
            break
        batch = list(order_ids[start : start + MAX_IDS])
        rows: dict[int, int] = {}
        try:
            with recording():
                rows = begin_requests(store, client.name, batch, clock(), source=source, seen=seen)
        except (StopRequested, KeyboardInterrupt) as exc:  # stopped as they were written
            unsent(store, rows, list(rows), result)
            if isinstance(exc, KeyboardInterrupt):
                tell_multi_refused(store, client.name, result, clock())
                _done(client, result)
                raise
            break
        raced = [o for o in batch if o not in rows]
        if raced:
            log.warning("refill_requested_meanwhile", panel=client.name, orders=raced)
            result.raced.extend(raced)
        if not rows:
            continue
        with client.failure_told(result.told):  # its calls' panel_retry too
            if multi and len(batch) > 1:
                multi = _send_multi(store, client, rows, clock, modes, stop, result)
            else:
                _send_singles(store, client, rows, clock, stop, result, modes)
    if auto and result.calls:  # a run of calls not sent goes on, or ends
        told_once(store, client.name, REFILL_REQUEST_FAILED, result.not_sent, clock())
    tell_multi_refused(store, client.name, result, clock())
    _done(client, result)
    return result


def _done(client: PanelClient, result: RequestResult) -> None:
    """The run's closing line: what was sent and came of it, and the requests
    given back unsent (``unsent``: recorded, certainly never sent, asked again)."""
    counts = {k: getattr(result, k) for k in ("sent", "accepted", "refused", "unknown", "unsent")}
    log.info("refill_requests_done", panel=client.name, errors=len(result.errors), **counts)


def _send_multi(
    store: Store,
    client: PanelClient,
    rows: dict[int, int],
    clock: Callable[[], datetime],
    modes: PanelModes,
    stop: threading.Event,
    result: RequestResult,
) -> bool:
    """Send one batch in a multi-order call; return whether the round's next
    batch is sent so too (not after the panel took no such call)."""
    order_ids = list(rows)
    result.calls += 1
    try:
        answers = client.refills(order_ids)
    except StopRequested:  # stopping, not failing: asked again next round
        result.calls -= 1
        unsent(store, rows, order_ids, result)
        return True
    except AuthError as exc:
        failed(result, client, exc, auth=True)
        unsent(store, rows, order_ids, result)
        return True
    except TransientError as exc:  # non-idempotent: raised only when certainly not sent
        failed(result, client, exc)
        unsent(store, rows, order_ids, result)
        return True
    except OutcomeUnknownError as exc:
        failed(result, client, exc)
        finish(store, rows, {o: lost(exc.detail) for o in order_ids}, clock, result)
        return True
    except PanelAnswerError as exc:
        if is_busy(exc.detail):  # HTTP 429 in words: nothing asked, asked again next round
            failed(result, client, exc)
            unsent(store, rows, order_ids, result)
            return True
        # A panel lacking refill and one reading only ``order`` may refuse this call
        # alike: the single calls tell (the first one, when refill is missing).
        if multi_unsupported(exc) or client.refused_as_missing("refill", exc.detail):
            # The panel read no order from this call: nothing was requested.
            if not reads_no_orders(exc.detail):  # one unknown ID, maybe: this call only
                result.multi_refused.append(exc.detail)  # told as the run ends
                _send_singles(store, client, rows, clock, stop, result, modes)
                return True
            known = len(result.answers)
            _send_singles(store, client, rows, clock, stop, result, modes)
            read = result.unsupported is None and len(result.answers) > known  # singles are read
            # For good at the second call so refused (one may be a flaky panel's),
            # in a later round: this one asks one order at a time from here.
            if refused_so(store, client, exc.detail, clock(), read=read):
                modes.multi_refill = False
            return False
        if isinstance(exc, WholeCallRefused):  # an order in it provoked it: each alone tells
            result.multi_refused.append(exc.detail)  # told as the run ends
            _send_singles(store, client, rows, clock, stop, result, modes)
            return True
        finish(store, rows, {o: refused(exc.detail) for o in order_ids}, clock, result)
        return True
    except NoOrderNamedError as exc:  # it may have acted: these stay Unknown
        # Multi calls would use up every order's requests the same way.
        learned = named_no_order(store, client, exc.detail, clock())
        modes.multi_refill = not learned
        why = f"{exc.detail}; {FOR_GOOD if learned else THIS_ROUND}"
        finish(store, rows, {o: lost(why) for o in order_ids}, clock, result)
        return False
    except PanelError as exc:  # garbled answer: the panel may have acted
        failed(result, client, exc)
        finish(store, rows, {o: lost(exc.detail) for o in order_ids}, clock, result)
        return True
    fields = _by_order(order_ids, answers)
    result.unstored.update(fields)  # read: a failure storing them names them
    result.multi_answered = True
    succeeded(store, client.name, REFILL_ORDERS, client.panel.url)  # a first refusal forgotten
    busy = {o: words for o, f in fields.items() if (words := busy_refusal(f)) is not None}
    if busy:  # too busy for these orders, as the same words at the top: not sent
        fields = {o: f for o, f in fields.items() if o not in busy}
    if result.waiting and any(f["refill_id"] is not None for f in fields.values()):
        succeeded(
            store, client.name, "refill", client.panel.url
        )  # a success between: no first refusal waits
        result.waiting = False
    finish(store, rows, fields, clock, result)
    still_running(store, client.name, fields, clock, result)
    if busy:  # asked again next round, as a call answered busy is; this round ends
        said = f"panel busy: {next(iter(busy.values()))} (not sent: {shown_ids(list(busy))})"
        failed(result, client, PanelAnswerError(said))
        unsent(store, rows, list(busy), result)
    return True


def _by_order(order_ids: list[int], answers: list[RefillRequest]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for answer in answers:
        if answer.order_id in order_ids and answer.order_id not in found:
            found[answer.order_id] = answered(answer)
    return {o: found.get(o) or lost(NOT_IN_ANSWER) for o in order_ids}  # left out: maybe asked

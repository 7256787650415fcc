"""Refills requested one order a call (``order=``): each answer stored at
once, a busy panel's words ending the run unsent, a refusal in a missing
action's words learned at the second in a row; and :class:`PanelModes`, what a
process knows of a panel's refill calls, which these read and the multi-order
calls of :mod:`tracker.jobs.refill_requests` (which re-exports it) set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tracker.errors import AuthError, PanelAnswerError, PanelError, StopRequested, TransientError
from tracker.jobs.refill_outcomes import (
    RequestResult,
    failed,
    finish,
    gave_up,
    still_running,
    unsent,
)
from tracker.jobs.refused_once import second_refusal, succeeded
from tracker.panel.client import PanelClient
from tracker.rules.capabilities import refused_once
from tracker.rules.refill_states import UNKNOWN
from tracker.rules.refills import answered, busy_refusal, lost
from tracker.store.capabilities import is_unsupported
from tracker.store.orders import Store


@dataclass
class PanelModes:
    """What this process learned about one panel: whether it accepts multi-ID
    ``refill`` and ``refill_status`` calls. Starts optimistic; a multi
    ``refill`` call refused ("Incorrect request") while single ones are read,
    or answered naming no order, a second time in a row (in a later round or
    process) is learned for every process too (``panel_capabilities``,
    :data:`REFILL_ORDERS`: :mod:`tracker.jobs.refill_multi`); the first
    turns multi calls off for the rest of its round only."""

    multi_refill: bool = True
    multi_refill_status: bool = True
    untrusted_told: bool = False  # refill_status_not_trusted warned; debug until trusted again
    # `refill ID`'s: called when a single call is answered with the key, before
    # its answer is judged (what another key taught forgotten first).
    key_answered: Callable[[], None] | None = None
    # `refill ID`'s: a first refusal in a missing action's words is recorded
    # (Refused), as every answer to a request by hand is; the rounds record
    # none, the order asked again at the next round (a second refusal learns).
    record_first_refusal: bool = False


def _learns_missing(store: Store, client: PanelClient, words: str, now: datetime) -> bool:
    """Given a single refill call refused in a missing action's words, return
    True when it learns the panel has no refill (the second in a row, or
    learned so already: `refill ID` asks anyway); told then."""
    known, url = is_unsupported(store, client.name, "refill", client.panel.url), client.panel.url
    # The first is told by the caller's refill_request_failed, not at debug too.
    if not second_refusal(
        store, client.name, "refill", now, known=known, url=url, key=client.panel.key
    ):
        return False
    client.found_missing("refill", words, quiet=known)
    return True


def send_singles(
    store: Store,
    client: PanelClient,
    rows: dict[int, int],
    clock: Callable[[], datetime],
    stop: threading.Event,
    result: RequestResult,
    modes: PanelModes,
) -> None:
    """Given the refill requests begun (order ID -> its ``refills`` row), ask
    the panel for each order's refill, one call each (``refill=``), storing
    each answer as it comes; a stop, or a failure that ends the round
    (:func:`~tracker.jobs.refill_outcomes.gave_up`), leaves the rest unsent
    (asked again at the next round)."""
    order_ids = list(rows)
    for index, order_id in enumerate(order_ids):
        if stop.is_set() or gave_up(result):
            unsent(store, rows, order_ids[index:], result)
            return
        result.calls += 1
        try:
            answer = client.refill(order_id)
            fields = answered(answer)
        except StopRequested:  # stopping, not failing: asked again next round
            result.calls -= 1
            unsent(store, rows, order_ids[index:], result)
            return
        except (AuthError, TransientError) as exc:
            failed(result, client, exc, auth=isinstance(exc, AuthError))
            unsent(store, rows, order_ids[index:], result)
            return
        except PanelError as exc:  # lost or garbled answer: it may have been acted on
            failed(result, client, exc)
            fields = lost(exc.detail)
        result.unstored[order_id] = fields  # read: a failure storing it names it
        if fields["status"] != UNKNOWN and modes.key_answered is not None:
            modes.key_answered()  # the panel answered the key
        refusal = fields["error"] if fields["refill_id"] is None else None
        if busy_refusal(fields) is not None:
            # "Too many requests": HTTP 429 in words, no refusal of the order;
            # this and the rest are asked again next round. Its code kept as
            # data (its words say it already: "HTTP 403: Too many requests").
            busy = PanelAnswerError(f"panel busy: {refusal}", status=answer.status)
            failed(result, client, busy)
            unsent(store, rows, order_ids[index:], result)
            return
        if fields["status"] != UNKNOWN and refusal and client.refused_as_missing("refill", refusal):
            if not _learns_missing(store, client, refusal, clock()):
                # The first in a row may be a flaky panel's: this call's failure,
                # nothing stored, the orders left asked again at the next round.
                result.refused_once = True
                failed(
                    result,
                    client,
                    PanelAnswerError(refused_once("refill", refusal), panel=client.name),
                )
                if modes.record_first_refusal:  # the user asked: `history ID` shows the answer
                    finish(store, rows, {order_id: fields}, clock, result)
                    index += 1
                unsent(store, rows, order_ids[index:], result)
                return
            result.unsupported = refusal  # stops the round (refill_outcomes.gave_up)
        if fields["refill_id"] is not None and result.waiting:  # a success between
            succeeded(store, client.name, "refill", client.panel.url)
            result.waiting = False
        # Stored at once: a crash later in the batch must not lose this answer.
        finish(store, rows, {order_id: fields}, clock, result)
        still_running(store, client.name, {order_id: fields}, clock, result)

"""``smm-tracker cancel``'s calls: the orders sent to the panel <=100 per
call, and each call's answer read into one result per order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tracker.errors import AuthError, PanelAnswerError, StopRequested, TransientError
from tracker.store.cancels import UNKNOWN

if TYPE_CHECKING:
    from tracker.cli.shield import Shield
    from tracker.panel.client import PanelClient

# Not a stored result: the call certainly did not reach the panel (HTTP 429,
# "Too many requests"), so nothing is recorded and nothing was canceled.
NOT_SENT = "not sent"
# Not stored either: the whole call refused in words the tracker does not know
# while the panel failed a balance check too. The panel failing is no refusal
# of these orders (the automation stores nothing then either); nothing was
# canceled.
NOT_CANCELED = "not canceled"


def cancel_orders(
    client: PanelClient,
    ids: list[int],
    lacking: list[str] | None = None,
    stop: Shield | None = None,
    *,
    sending: list[int] | None = None,
    codes: dict[int, int | None] | None = None,
    unanswered: set[int] | None = None,
    refused: dict[int, str] | None = None,
    cut: set[int] | None = None,
) -> Iterator[list[tuple[int, str, str | None]]]:
    """Given a panel client and order IDs, cancel them <=100 per call; yield
    each call's (order_id, result, error) for its IDs, in the order given.
    The panel's words are added to ``lacking`` when a call was refused as
    an unknown action is (the panel may have no cancel action: learned at
    the second such refusal in a row).

    The calls are :func:`tracker.panel.cancel_groups.cancel_in_groups`: each
    sent once; a call of several orders refused as a whole while the panel
    answers other calls is asked again in halves, down to the orders refused
    alone. A key refused raises AuthError: nothing more is sent. Once ``stop``
    is stopping, nothing more is sent either ("not sent: stopping");
    ``sending`` holds the IDs of the call on the wire, if any; ``codes``
    gets the HTTP code of the answer behind each order not sent or not
    canceled (None: no answer came), for the fix its line says; ``unanswered``
    the IDs whose call failed before any answer (a port that refused the
    connection: its fix said too), never those a panel's words refused;
    ``refused`` those of a call refused as a whole (its words) until judged;
    ``cut`` those a stop left as they were: not sent, a call refused as a
    whole not sent again in halves, or its refusal not judged (nothing a
    wait cures: no "try again later")."""
    from tracker.panel import cancel_groups as groups  # httpx: only when cancelling

    on_wire = sending if sending is not None else []
    judged = refused if refused is not None else {}
    stopped_short = cut if cut is not None else set()

    def send(chunk: list[int]) -> Any:
        for order_id in chunk:  # a half of a call refused as a whole, sent again
            judged.pop(order_id, None)
        on_wire[:] = chunk
        try:
            answer = client.cancel(chunk)
        except PanelAnswerError as exc:  # refused as a whole: nothing canceled
            judged.update(dict.fromkeys(chunk, exc.detail))
            on_wire.clear()
            if stop is not None:  # a first Ctrl-C now lets its judging go on
                stop.judging = True
            raise
        except (StopRequested, TransientError) as exc:
            if not getattr(exc, "maybe_sent", False):  # certainly never sent
                on_wire.clear()
            raise
        if stop is not None:  # answered: a Ctrl-C now waits until it is stored
            stop.settled = True
        on_wire.clear()
        return answer

    stopped = (lambda: stop.stopping) if stop is not None else (lambda: False)
    for settled in groups.cancel_in_groups(ids, send, client, stopped=stopped):
        chunk, error = settled.order_ids, settled.error
        if settled.kind == groups.STOPPED and any(o in judged for o in chunk):
            # Refused as one call, not sent again in halves for the stop: the
            # panel's answer, nothing canceled; the rest never sent.
            words = {o: judged.pop(o) for o in chunk if o in judged}
            stopped_short.update(chunk)
            yield [
                (o, NOT_CANCELED, f"{words[o]} (refused as one call; not sent again: stopping)")
                if o in words
                else (o, NOT_SENT, "stopping")
                for o in chunk
            ]
            return
        if [judged.pop(o) for o in chunk if o in judged] and stop is not None:
            stop.settled = True  # judged: a Ctrl-C now waits until it is stored
        if stop is not None:
            stop.judged()
        if codes is not None and error is not None:
            codes.update(dict.fromkeys(chunk, error.status))
        if settled.kind == groups.KEY:  # in words of its own too: nothing done
            raise AuthError(settled.detail, panel=client.name, action="cancel")
        if settled.kind == groups.BUSY:  # HTTP 429 in words: nothing was canceled
            yield [(i, NOT_SENT, f"panel busy: {settled.detail}") for i in chunk]
        elif settled.kind in (groups.NOT_SENT, groups.STOPPED):
            if unanswered is not None and settled.kind == groups.NOT_SENT:  # a TransientError
                unanswered.update(chunk)
            why = "stopping" if settled.kind == groups.STOPPED else str(error)
            if settled.kind == groups.STOPPED:
                stopped_short.update(chunk)
            yield [(i, NOT_SENT, why) for i in chunk]
        elif settled.kind == groups.LOST:  # no usable answer: it may have happened
            if unanswered is not None and getattr(error, "unanswered", False):  # not HTTP...
                unanswered.update(chunk)
            yield [(i, UNKNOWN, str(error)) for i in chunk]
        elif settled.kind == groups.UNSURE:  # refused while balance failed too
            # ... or was never asked: a stop during the call ended the client's waits.
            ended = stop is not None and stop.ended
            failed = "not judged: stopping" if ended else "and the panel failed a balance check"
            why = f"{settled.detail} ({failed})"
            if ended:
                stopped_short.update(chunk)
            yield [(i, NOT_CANCELED, why) for i in chunk]
        else:
            if settled.lacking and lacking is not None:
                lacking.append(settled.detail)
            said = {result[0]: result for result in settled.results()}
            # An order its item said the panel was too busy for: as a busy call's.
            yield [said.get(i) or (i, NOT_SENT, f"panel busy: {settled.busy[i]}") for i in chunk]

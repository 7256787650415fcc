"""Multi ``cancel`` calls, one splitter for the `cancel` command and the automation.

Orders go in groups of at most 100, each group sent once (cancel is not
idempotent: never retried, never resent). A group refused as a whole while
the panel answers otherwise (one order of it may have provoked it; nothing
was canceled) is split in halves, down to the orders refused alone: at most
2n - 1 calls for n orders. What each group came to is yielded as soon as it
is known, so a caller stores it before the next call goes out.

Whether a whole-call refusal is the key's, this call's or the panel's failing
is asked of a :class:`Judge` (the client: ``refusal`` asks ``balance``, the
"key's witness"); busy words ("Too many requests") are nobody's refusal,
and the words of the panel's server failing ("SQLSTATE...") no refusal
either: its script may have failed after canceling (LOST, never split).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tracker.errors import AuthError, PanelAnswerError, PanelError, StopRequested, TransientError
from tracker.panel.models import CANCEL_ACCEPTED as ACCEPTED
from tracker.panel.models import CANCEL_REFUSED as REFUSED
from tracker.panel.models import CANCEL_UNKNOWN as UNKNOWN
from tracker.panel.models import CancelResult
from tracker.panel.parse_cancels import maybe_canceled
from tracker.panel.refusals import is_busy, is_panel_fault
from tracker.panel.witness import WholeCallRefused

MAX_IDS = 100  # the API's own limit per cancel call

# What one group came to (Settled.kind).
ANSWERED = "answered"  # the panel answered order by order: ``answers``
REFUSED_WHOLE = "refused as a whole"  # about this group: a lone order, or no cancel action
LOST = "lost"  # sent, no usable answer or its server's fault: the orders may have been canceled
NOT_SENT = "not sent"  # certainly never reached the panel (connection refused, 429)
BUSY = "busy"  # "Too many requests" and the like: nothing canceled, try later
UNSURE = "unsure"  # refused as a whole while the witness failed too: nobody's refusal
KEY = "key"  # the key refused: nothing canceled; every order not settled yet
STOPPED = "stopped"  # a stop was asked for: this group and the rest not sent

NOT_IN_ANSWER = "not in the panel's answer"


class Judge(Protocol):
    """What a whole-call refusal means (see :class:`tracker.panel.witness.Witnessed`)."""

    def refusal(self, action: str, exc: PanelAnswerError) -> PanelAnswerError: ...

    def refused_as_missing(self, action: str, words: str) -> bool: ...


@dataclass(frozen=True)
class Settled:
    """One group of orders and what its cancel call came to."""

    order_ids: tuple[int, ...]
    kind: str
    answers: dict[int, CancelResult] = field(default_factory=dict)
    error: PanelError | None = None
    # REFUSED_WHOLE in the words of an action that does not exist: the panel
    # may have no cancel action at all (learned at the second such refusal).
    lacking: bool = False
    # ANSWERED's orders whose item said the panel is too busy, with its
    # words: nothing canceled, no refusal (asked again, as a BUSY group's).
    busy: dict[int, str] = field(default_factory=dict)

    @property
    def detail(self) -> str:
        """The panel's words (or the failure's) for a group not answered order by order."""
        return self.error.detail if self.error is not None else ""

    def results(self) -> list[tuple[int, str, str | None]]:
        """Return (order_id, Accepted | Refused | Unknown, error) per order of a
        group the panel answered (ANSWERED), refused (REFUSED_WHOLE) or may have acted
        on (LOST), in the order asked; [] for the kinds where nothing was done,
        and none for the orders it was too busy for (``busy``)."""
        if self.kind in (REFUSED_WHOLE, LOST):
            verdict = REFUSED if self.kind == REFUSED_WHOLE else UNKNOWN
            return [(order_id, verdict, self.detail) for order_id in self.order_ids]
        if self.kind != ANSWERED:
            return []
        results: list[tuple[int, str, str | None]] = []
        for order_id in self.order_ids:
            if order_id in self.busy:
                continue
            answer = self.answers.get(order_id)
            if answer is None:
                results.append((order_id, UNKNOWN, NOT_IN_ANSWER))
            elif answer.ok:
                results.append((order_id, ACCEPTED, None))
            elif answer.unknown:  # neither yes nor no: it may have been canceled
                results.append((order_id, UNKNOWN, answer.error))
            else:
                results.append((order_id, REFUSED, answer.error or "refused"))
        return results


def cancel_in_groups(
    order_ids: Sequence[int],
    send: Callable[[list[int]], Iterable[CancelResult]],
    judge: Judge,
    *,
    stopped: Callable[[], bool] = lambda: False,
    size: int = MAX_IDS,
) -> Iterator[Settled]:
    """Given order IDs, ``send`` (one multi ``cancel`` call for a group) and the
    ``judge`` of whole-call refusals, send every order once and yield a
    :class:`Settled` per group, in the order asked.

    A KEY or STOPPED group holds every order not settled yet and is the last.
    """
    todo = deque(list(order_ids[start : start + size]) for start in range(0, len(order_ids), size))
    while todo:
        group = todo.popleft()
        if stopped():
            yield Settled(tuple(group + [o for rest in todo for o in rest]), STOPPED)
            return
        try:
            answers = {answer.order_id: answer for answer in send(group)}
        except PanelAnswerError as exc:  # the key, these orders, or a failing panel?
            if is_busy(exc.detail):  # HTTP 429 in words: nothing was canceled
                yield Settled(tuple(group), BUSY, error=exc)
                continue
            if is_panel_fault(exc.detail):  # its server failed, maybe after canceling
                said = PanelAnswerError(maybe_canceled(exc.detail), status=exc.status)
                yield Settled(tuple(group), LOST, error=said)  # never split: never sent again
                continue
            verdict = judge.refusal("cancel", exc)
            if isinstance(verdict, AuthError):  # nothing done; nothing more is sent
                rest = [o for later in todo for o in later]
                yield Settled(tuple(group + rest), KEY, error=verdict)
                return
            if not isinstance(verdict, WholeCallRefused):
                yield Settled(tuple(group), UNSURE, error=exc)
                continue
            lacking = judge.refused_as_missing("cancel", exc.detail)
            if len(group) > 1 and not lacking:
                # One order may have provoked it, and nothing was canceled:
                # each half is asked on its own, the first half first.
                half = len(group) // 2
                todo.extendleft([group[half:], group[:half]])
                continue
            yield Settled(tuple(group), REFUSED_WHOLE, error=verdict, lacking=lacking)
            continue
        except StopRequested as exc:
            rest = [o for later in todo for o in later]
            yield Settled(tuple(group + rest), STOPPED, error=exc)
            return
        except TransientError as exc:  # raised for cancel only when never sent
            yield Settled(tuple(group), LOST if exc.maybe_sent else NOT_SENT, error=exc)
            continue
        except PanelError as exc:  # sent, no usable answer: it may have happened
            yield Settled(tuple(group), LOST, error=exc)
            continue
        # An order's item in busy words is no refusal: the panel too busy
        # for it, as the same words at the top of the call (none canceled).
        busy = {o: a.error or "" for o, a in answers.items() if _busy(a) and o in group}
        if busy and len(busy) == len(group):  # every order so: the call answered busy
            yield Settled(tuple(group), BUSY, error=PanelAnswerError(busy[group[0]]))
            continue
        yield Settled(tuple(group), ANSWERED, answers=answers, busy=busy)


def _busy(answer: CancelResult) -> bool:
    """Whether an order's result refuses it in busy words ("Too many
    requests"): not Unknown (a yes beside them may have been a cancel)."""
    words = answer.error if not answer.ok and not answer.unknown else None
    return bool(words) and is_busy(words or "")

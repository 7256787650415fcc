"""Asking a panel about one batch of orders, without blaming an order for the panel.

:func:`ask_batch` runs in a poll's worker thread. It wraps
:meth:`PanelClient.statuses` with the two things a real panel needs:

- a whole-call refusal that one bad ID provokes (``{"error": "Incorrect order
  ID"}`` to the whole multi call) is isolated by splitting the batch in halves,
  so the other orders still get their statuses; the split is bounded in calls;
- IDs asked for but missing from an answer (dropped by a list-shaped panel,
  or filed under another key by a panel bug) are asked again in the same round,
  one by one with ``order=`` when few, else in a second multi call, before
  they count as unknown.

Any other failure (key refused, timeout, a broken answer) fails the whole call:
it is the panel's, never an order's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker.errors import AuthError, BadAnswerError, PanelError
from tracker.panel.client import PanelClient, WholeCallRefused
from tracker.panel.models import OrderStatus

# Missing IDs up to this many are asked one by one; more get a second multi call.
ASK_ALONE = 5
# A split never costs more calls than this per batch (one bad ID in 100 costs ~16).
SPLIT_BUDGET = 40


@dataclass
class Answer:
    """What one batch came back with: reports by order ID, the IDs left
    unsettled (not asked after a failure: stored untouched) and the calls spent."""

    reports: dict[int, OrderStatus] = field(default_factory=dict)
    unsettled: list[int] = field(default_factory=list)
    calls: int = 0

    def settled(self, ids: list[int]) -> list[int]:
        """Return the IDs of ``ids`` whose answer (or absence from it) counts."""
        left = set(self.unsettled)
        return [i for i in ids if i not in left]


def ask_batch(client: PanelClient, ids: list[int]) -> Answer:
    """Given a batch of order IDs, return their reports (missing IDs re-asked).

    Raise the client's PanelError when the first call failed as a whole.
    """
    answer = Answer()
    answer.calls += 1
    try:
        answer.reports.update(client.statuses(ids))
    except WholeCallRefused as exc:
        if len(ids) == 1:  # refused alone, by a panel that answers others: this order's own
            answer.reports[ids[0]] = OrderStatus(order_id=ids[0], error=exc.detail)
        else:
            budget = [SPLIT_BUDGET]
            half = len(ids) // 2
            _split(client, ids[:half], answer, budget)
            _split(client, ids[half:], answer, budget)
    try:
        _ask_missing(client, ids, answer)
    except AuthError:
        raise
    except PanelError:  # the panel failed meanwhile: the missing ones wait for the next poll
        answer.unsettled.extend(i for i in ids if i not in answer.reports)
    return answer


def _split(client: PanelClient, ids: list[int], answer: Answer, budget: list[int]) -> None:
    """Ask ``ids``; on a whole-call refusal, ask each half, down to single orders
    (whose refusal is their own: the panel answers others).
    A failure, or the budget spent, leaves the IDs unsettled."""
    if budget[0] <= 0:
        answer.unsettled.extend(ids)
        return
    budget[0] -= 1
    answer.calls += 1
    try:
        answer.reports.update(client.statuses(ids))
        return
    except WholeCallRefused as exc:
        if len(ids) == 1:
            answer.reports[ids[0]] = OrderStatus(order_id=ids[0], error=exc.detail)
            return
    except AuthError:
        raise
    except PanelError:
        answer.unsettled.extend(ids)
        budget[0] = 0  # the panel is failing now: stop splitting
        return
    half = len(ids) // 2
    _split(client, ids[:half], answer, budget)
    _split(client, ids[half:], answer, budget)


def _ask_missing(client: PanelClient, ids: list[int], answer: Answer) -> None:
    left = set(answer.unsettled)
    missing = [i for i in ids if i not in answer.reports and i not in left]
    if len(missing) > ASK_ALONE:
        answer.calls += 1
        try:
            answer.reports.update(client.statuses(missing))
        except (WholeCallRefused, BadAnswerError):
            pass  # left as they are: counted as not in the answer
        missing = [i for i in missing if i not in answer.reports]
    if len(missing) > ASK_ALONE:
        return
    for order_id in missing:
        answer.calls += 1
        answer.reports[order_id] = client.status_alone(order_id)

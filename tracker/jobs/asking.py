"""Asking a panel about one batch of orders, without blaming an order for the panel.

:func:`ask_batch` runs in a poll's worker thread. It wraps
:meth:`PanelClient.statuses` with the two things a real panel needs:

- a whole-call refusal that one bad ID provokes (``{"error": "Incorrect order
  ID"}`` to the whole multi call) is isolated by splitting the batch in halves,
  level by level, so the other orders still get their statuses. A refused
  part is split again only while the panel is known to answer status calls
  (some call, this batch's or another's, came back with an order's status,
  or a witness order does when asked): a panel refusing every status call
  ("Error") leaves the batch unsettled after one level, never blamed on its
  orders. The split is bounded in calls;
- IDs asked for but missing from an answer (dropped by a list-shaped panel,
  filed under another key by a panel bug, or beyond the number of IDs the
  panel answers per call) are asked again in the same round, in further multi
  calls while each brings answers, then one by one with ``order=`` when few
  or when such a multi call failed as a call (no news of its IDs), before
  they count as unknown.

IDs asked alone (the batch's only one, by the split or again) refused in the
very same words, words that do not say an order does not exist, are not each
order's error when an order the panel knows, asked then, does not come back
either: the panel refuses every status call by then (a rate limit or an
outage in words nobody knows). They are left unsettled.

Any other failure (key refused, timeout, a broken answer) fails the whole call:
it is the panel's, never an order's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from tracker.errors import AuthError, BadAnswerError, MisfiledAnswerError, PanelError
from tracker.panel import not_found, refusals
from tracker.panel.client import PanelClient, WholeCallRefused
from tracker.panel.models import OrderStatus

log = structlog.get_logger("tracker.poll")

# Missing IDs up to this many are asked one by one; more get further multi calls.
ASK_ALONE = 5
# Calls a batch may spend beyond its first: on a split (one bad ID in 100 costs
# ~14), and on re-asking the IDs an answer left out.
SPLIT_BUDGET = 40


@dataclass
class Answer:
    """What one batch came back with: reports by order ID, the IDs left
    unsettled (not asked after a failure: stored untouched) and the calls spent."""

    reports: dict[int, OrderStatus] = field(default_factory=dict)
    unsettled: list[int] = field(default_factory=list)
    calls: int = 0
    why: str = ""  # what left IDs unsettled, when the panel said
    vouched: bool | None = None  # the witness order's answer, once asked
    alone: list[int] = field(default_factory=list)  # IDs asked alone (split or re-asked)

    def settled(self, ids: list[int]) -> list[int]:
        """Return the IDs of ``ids`` whose answer (or absence from it) counts."""
        left = set(self.unsettled)
        return [i for i in ids if i not in left]

    def leave(self, ids: list[int], why: str = "") -> None:
        self.unsettled.extend(ids)
        self.why = why or self.why


def ask_batch(client: PanelClient, ids: list[int], witness: int | None = None) -> Answer:
    """Given a batch of order IDs, return their reports (missing IDs re-asked).

    ``witness`` is an order the panel answered before: asked when everything in
    the batch is refused and nothing else vouches that the panel answers
    status calls now (an unknown order due alone must still count as unknown).
    Raise the client's PanelError when the first call failed as a whole.
    """
    answer = Answer()
    answer.calls += 1
    budget = [SPLIT_BUDGET]
    trusted = functools.partial(_trusted, client, answer, witness, ids)
    try:
        answer.reports.update(client.statuses(ids))
    except WholeCallRefused as exc:
        if len(ids) == 1:  # refused alone: the order's own, if the panel answers others
            trusted()
            answer.reports[ids[0]] = client.lone_refusal(ids[0], exc)
            answer.alone.append(ids[0])  # its words judged below (_refused_alike)
        else:
            _isolate(client, ids, answer, budget, trusted)
    try:
        _ask_missing(client, ids, answer, budget)
    except AuthError:
        raise
    except PanelError as exc:  # the panel failed meanwhile: the missing ones wait for the next poll
        answer.leave([i for i in ids if i not in answer.reports], exc.detail)
    _refused_alike(client, answer, functools.partial(_answers_now, client, answer, witness, ids))
    if any(r.error is not None for r in answer.reports.values()):
        _unblame(answer, trusted())
    return answer


def _trusted(client: PanelClient, answer: Answer, witness: int | None, ids: list[int]) -> bool:
    """Return True when the panel is known to answer status calls now; else ask
    it about the witness order once (its status back is the proof)."""
    if client.answers_status():
        return True
    if answer.vouched is None and witness is not None and witness not in ids:
        answer.vouched = _status_back(client, answer, witness)
    return bool(answer.vouched)


def _answers_now(client: PanelClient, answer: Answer, witness: int | None, ids: list[int]) -> bool:
    """Ask the panel now about an order it answered (the witness, else one
    of this batch); return True when its status comes back."""
    probe = witness if witness is not None and witness not in ids else None
    if probe is None:
        probe = next((i for i, r in answer.reports.items() if r.status is not None), None)
    return probe is not None and _status_back(client, answer, probe)


def _status_back(client: PanelClient, answer: Answer, order_id: int) -> bool:
    """Ask the panel about one order (a call of the batch); return True when
    its status comes back: the proof that the panel answers status calls now."""
    answer.calls += 1
    try:
        said = client.statuses([order_id]).get(order_id)
    except PanelError:
        return False
    return said is not None and said.status is not None


def _refused_alike(client: PanelClient, answer: Answer, answers_now: Callable[[], bool]) -> None:
    """Take back the refusals of the IDs asked alone when they all came in
    the very same words, words that do not say an order does not exist
    ("Incorrect order ID" for two unknown orders is each one's), unless the
    panel answers an order it knows when asked now: the panel refusing every
    status call by then (a rate limit or an outage in words the tracker does
    not know), not each order's error. Those orders are left unsettled,
    untouched, asked again at the next poll.

    One ID so refused is judged the same way: the panel's answer to another
    call up to WITNESS_TTL before (another batch's, this poll's) is no proof
    that it answers status calls now (a panel gone down since had the order
    held back an hour, then 6 h, then a day, and given up). The witness
    answering after the refusal, in this batch, is; busy, fault and key words
    are :func:`_unblame`'s to take back."""
    refused = [i for i in answer.alone if i in answer.reports and answer.reports[i].error]
    said = {answer.reports[i].error for i in refused}
    if not refused or len(said) != 1:
        return
    words = str(said.pop())
    if len(refused) == 1 and (answer.vouched or _the_panels(words)):
        return
    if not_found.says_order_not_found(words) or answers_now():
        return
    for order_id in refused:
        del answer.reports[order_id]
    if len(refused) == 1:
        why = f"status refused for the order asked alone, and no other order answered then: {words}"
    else:
        why = f"status refused alike for every order asked alone: {words}"
    answer.leave(refused, why)
    told = _told(client, "status_refused_alike")
    told("status_refused_alike", panel=client.name, orders=len(refused), answer=words)


def _told(client: PanelClient, line: str) -> Callable[..., Any]:
    """How to log ``line``: at warning the first time of its episode, at debug
    after it, and when an earlier run told the panel's failing polls."""
    first = client.told_lines.tell(line, carried=client.polls_carried)
    return log.warning if first else log.debug


_ALL_REFUSED = "every order asked was refused"


def _the_panels(words: str) -> bool:
    """Return True when ``words`` say the panel is busy, failing or refusing
    the key: never an order's error (:func:`_unblame` takes them back)."""
    busy, key = refusals.is_busy(words), refusals.is_key_refusal(words)
    return busy or key or refusals.is_panel_fault(words)


def _unblame(answer: Answer, trusted: bool) -> None:
    """Take back the per-order errors that are the panel's: words saying it is
    busy ("Too many requests" as an item) or its server failed ("SQLSTATE[HY000]
    [1040] Too many connections"), or refusing the key ("Invalid API key" as
    one order's item: the panel's failure, never the order's), and
    every error when no status call has been answered with an order's status
    lately (an answer that refuses every order asked, in any words, may be a
    panel that reads no ID). Those orders are left unsettled, untouched, the
    words in the poll's error."""
    for order_id, report in list(answer.reports.items()):
        words = report.error
        if words is None:
            continue
        busy, key = refusals.is_busy(words), refusals.is_key_refusal(words)
        fault = not busy and refusals.is_panel_fault(words)
        if busy or key or fault or not trusted:
            del answer.reports[order_id]
            why = "panel busy" if busy else "key refused" if key else _ALL_REFUSED
            why = "panel failed" if fault else why
            hint = not_found.not_found_hint(words) if why == _ALL_REFUSED else ""
            answer.leave([order_id], f"{why}: {words}{hint}")


def _halves(ids: list[int]) -> list[list[int]]:
    half = len(ids) // 2
    return [ids[:half], ids[half:]]


def _isolate(
    client: PanelClient,
    ids: list[int],
    answer: Answer,
    budget: list[int],
    trusted: Callable[[], bool],
) -> None:
    """After ``ids`` were refused as a whole: ask their halves, level by level.

    A lone ID refused while the panel answers status calls is that order's own
    error. A refused part is split again only when the panel is known to answer
    status calls (see :meth:`PanelClient.answers_status`) or the words name an
    order; otherwise it is left unsettled. A failure, or the budget spent,
    leaves the IDs unsettled.
    """
    parts = _halves(ids)
    while parts:
        refused: list[tuple[list[int], WholeCallRefused]] = []
        for part in parts:
            if budget[0] <= 0:
                answer.leave(part)
                continue
            budget[0] -= 1
            answer.calls += 1
            try:
                answer.reports.update(client.statuses(part))
            except WholeCallRefused as exc:
                refused.append((part, exc))
            except AuthError:
                raise
            except PanelError as exc:
                answer.leave(part, exc.detail)
                budget[0] = 0  # the panel is failing now: stop splitting
        parts = []
        for part, refusal in refused:
            words = refusal.detail
            if not trusted():
                hint = not_found.not_found_hint(words)
                answer.leave(part, f"status refused for every order asked: {words}{hint}")
            elif len(part) == 1 and refusals.refuses_the_call(words):
                answer.leave(part, f"status call refused: {words}")  # about no order
            elif len(part) == 1:
                answer.reports[part[0]] = OrderStatus(order_id=part[0], error=words)
                answer.alone.append(part[0])
            else:
                parts.extend(_halves(part))


def _ask_missing(client: PanelClient, ids: list[int], answer: Answer, budget: list[int]) -> None:
    """Ask again, in this round, the IDs the answers left out: in multi calls
    while each brings answers (a panel answering fewer IDs per call than asked
    is logged once), then one by one with ``order=`` when at most ASK_ALONE are
    left, or when such a multi call failed as a call (an answer naming none
    of them, an error page, a refusal of the whole call: never news of its
    IDs). IDs still left out after the budget are left unsettled; a call
    failing as a call raises, or leaves the rest unsettled: never unknown."""
    left = set(answer.unsettled)
    missing = [i for i in ids if i not in answer.reports and i not in left]
    failed: str | None = None  # why a multi call asking them again failed
    while len(missing) > ASK_ALONE:
        if budget[0] <= 0:
            answer.leave(missing, "the panel answered only part of each call")
            return
        budget[0] -= 1
        answer.calls += 1
        try:
            answer.reports.update(client.statuses(missing))
        except (WholeCallRefused, BadAnswerError) as exc:
            # The call failed ({}, an error page, a refusal of the whole
            # call): no news of any ID in it. They are asked alone instead,
            # within the budget; a failure there leaves them unsettled.
            failed = exc.detail
            told = _told(client, "status_reask_failed")
            told("status_reask_failed", panel=client.name, orders=len(missing), error=failed)
            break
        still = [i for i in missing if i not in answer.reports]
        if len(still) == len(missing):
            return  # asked again and left out again: not in the answer
        client.warn_once(
            "partial_answers",
            "panel_answers_part_of_each_call",
            asked=len(missing),
            answered=len(missing) - len(still),
            hint="set max_batch for this panel to the number it answers",
        )
        missing = still
    for n, order_id in enumerate(missing):
        if failed is not None:  # maybe many: within the budget
            if budget[0] <= 0:
                answer.leave(missing[n:], failed)
                return
            budget[0] -= 1
        answer.calls += 1
        try:
            answer.reports[order_id] = client.status_alone(order_id)
            answer.alone.append(order_id)
        except MisfiledAnswerError as exc:  # no news of this one; the others still asked
            answer.leave([order_id], exc.detail)

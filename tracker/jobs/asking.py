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
outage in words nobody knows). So is every order of a batch answered item by
item in the very same such words, none with a status. They are left
unsettled (:mod:`tracker.jobs.batch_answer` judges whose a refusal is).

Any other failure (key refused, timeout, a broken answer) fails the whole call:
it is the panel's, never an order's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from tracker.errors import AuthError, BadAnswerError, MisfiledAnswerError, PanelError
from tracker.jobs.batch_answer import Answer, refused_alike, told_at, unblame
from tracker.panel import not_found, refusals
from tracker.panel.client import PanelClient, WholeCallRefused
from tracker.panel.models import OrderStatus
from tracker.rules.quirks import PARTIAL_ANSWERS

# Missing IDs up to this many are asked one by one; more get further multi calls.
ASK_ALONE = 5
# Calls a batch may spend beyond its first: on a split (one bad ID in 100 costs
# ~14), and on re-asking the IDs an answer left out.
SPLIT_BUDGET = 40


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
            answer.alone.append(ids[0])  # its words judged below (refused_alike)
        else:
            _isolate(client, ids, answer, budget, trusted)
    try:
        _ask_missing(client, ids, answer, budget)
    except AuthError:
        raise
    except PanelError as exc:  # the panel failed meanwhile: the missing ones wait for the next poll
        answer.leave([i for i in ids if i not in answer.reports], exc.detail)
    if any(r.error is not None for r in answer.reports.values()):  # else nothing to judge
        now = functools.partial(_answers_now, client, answer, witness, ids)
        refused_alike(client, answer, ids, now)
        if any(r.error is not None for r in answer.reports.values()):
            unblame(answer, trusted())
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
            told = told_at(client, "status_reask_failed")
            told("status_reask_failed", panel=client.name, orders=len(missing), error=failed)
            break
        still = [i for i in missing if i not in answer.reports]
        if len(still) == len(missing):
            return  # asked again and left out again: not in the answer
        # A quirk: once per process, at debug when an earlier one told it (cron).
        client.tell_quirk(
            PARTIAL_ANSWERS,
            "partial_answers",
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

"""What one batch of status calls came back with (:class:`Answer`), and whose
its refusals are: an order's, or the panel's.

IDs asked alone (the batch's only one, by the split or again) refused in the
very same words, words that do not say an order does not exist, are not each
order's error when an order the panel knows, asked then, does not come back
either (:func:`refused_alike`), nor is every order of a batch answered item
by item in the very same such words, none with a status; words saying the
panel is busy, failing or refusing the key are never an order's, nor is any
error while no status call is known to be answered (:func:`unblame`). Those
orders are left unsettled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from tracker.panel import not_found, refusals
from tracker.panel.client import PanelClient
from tracker.panel.models import OrderStatus

log = structlog.get_logger("tracker.poll")


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


def refused_alike(
    client: PanelClient, answer: Answer, ids: list[int], answers_now: Callable[[], bool]
) -> None:
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
    are :func:`unblame`'s to take back.

    Every order of ``ids`` answered item by item in the very same such words
    ("Something went wrong" for each, in one call or several), none with a
    status, while the panel answered a status call lately, is judged the same
    way: a panel failing every lookup, not each order's error (orders given
    up by ``unknown_give_up`` in an outage). Not lately: :func:`unblame`'s.
    Called only when some report carries an error."""
    refused = [i for i in answer.alone if i in answer.reports and answer.reports[i].error]
    every = _refused_batch(client, answer, ids)
    batch = bool(every) and set(every) != set(refused)  # not every one asked alone
    refused = every if batch else refused
    said = {answer.reports[i].error for i in refused}
    if not refused or len(said) != 1:
        return
    words = str(said.pop())
    if (len(refused) == 1 or batch) and (answer.vouched or _the_panels(words)):
        return
    if not_found.says_order_not_found(words) or answers_now():
        return
    for order_id in refused:
        del answer.reports[order_id]
    if batch:
        why = f"status refused alike for every order asked, none answered: {words}"
    elif len(refused) == 1:
        why = f"status refused for the order asked alone, and no other order answered then: {words}"
    else:
        why = f"status refused alike for every order asked alone: {words}"
    answer.leave(refused, why)
    told = told_at(client, "status_refused_alike")
    told("status_refused_alike", panel=client.name, orders=len(refused), answer=words)


def _refused_batch(client: PanelClient, answer: Answer, ids: list[int]) -> list[int]:
    """Return the IDs of ``ids`` not left unsettled when every one was
    answered with an error and none with a status, while the panel answered
    a status call lately; else []."""
    left = set(answer.unsettled)
    asked = [i for i in ids if i not in left]
    reports = [answer.reports.get(i) for i in asked]
    if any(r is None or r.status is not None or not r.error for r in reports):
        return []
    return asked if client.answers_status() else []


def told_at(client: PanelClient, line: str) -> Callable[..., Any]:
    """How to log ``line``: at warning the first time of its episode, at debug
    after it, and when an earlier run told the panel's failing polls."""
    first = client.told_lines.tell(line, carried=client.polls_carried)
    return log.warning if first else log.debug


_ALL_REFUSED = "every order asked was refused"


def _the_panels(words: str) -> bool:
    """Return True when ``words`` say the panel is busy, failing or refusing
    the key: never an order's error (:func:`unblame` takes them back)."""
    busy, key = refusals.is_busy(words), refusals.is_key_refusal(words)
    return busy or key or refusals.is_panel_fault(words)


def unblame(answer: Answer, trusted: bool) -> None:
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

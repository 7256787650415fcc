"""A multi-order refill call (``orders=``) the panel did not take: learned
for good (``refill_orders``, one order at a time from then on) at the second
such call in a row, never at one.

Two answers say a panel takes no multi-order refill call: a refusal in words
saying no such field is read ("Incorrect request", "... is required") while
single calls answer, and an answer naming none of the orders asked (the
panel may have acted: those requests stay Unknown). A flaky panel may give
either once and answer the next call normally, so the first is kept in
``alert_state`` (:mod:`tracker.jobs.refused_once`, shared by both answers:
the daemon's next round and the next ``run --once`` count alike) and the
rest of that round is asked one order at a time; the second, in a later
round or process with no multi call answered between, learns it. Each
returns whether it was learned; the caller keeps multi calls off for the
rest of its round either way.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from tracker.jobs.refused_once import second_refusal
from tracker.panel.client import PanelClient
from tracker.rules.capabilities import REFILL_ORDERS, evidence
from tracker.store.capabilities import learn
from tracker.store.orders import Store

log = structlog.get_logger("tracker.refill")

FOR_GOOD = "asked one order at a time from now on"
THIS_ROUND = "asked one order at a time this round"
AGAIN = f"{THIS_ROUND}, orders= tried again at the next"


def refused_so(store: Store, client: PanelClient, words: str, now: datetime, *, read: bool) -> bool:
    """Given a multi refill call refused in ``words`` saying no such field is
    read, its orders since asked alone (``read``: a single call answered),
    return True when that learns the panel takes one order per call (the
    second in a row: stored for good). Told in one line: the first at info,
    ``multi_refill_refused_once``; learned, a ``multi_refill_unsupported``
    warning. Unread single calls teach nothing here (a panel refusing them
    alike lacks refill: that is learned instead)."""
    url, key = client.panel.url, client.panel.key
    if read and second_refusal(
        store, client.name, REFILL_ORDERS, now, known=False, url=url, key=key
    ):
        said = evidence(f"answered {words!r}")
        learn(store, client.name, REFILL_ORDERS, False, said, now, url=url, key=client.panel.key)
        log.warning("multi_refill_unsupported", panel=client.name, answer=words, note=FOR_GOOD)
        return True
    note = f"orders= refused once: {AGAIN}"
    log.info("multi_refill_refused_once", panel=client.name, answer=words, note=note)
    return False


def named_no_order(store: Store, client: PanelClient, words: str, now: datetime) -> bool:
    """Given a multi refill answer naming none of the orders asked (``words``:
    what it said), return True when that learns the panel takes one order
    per call (the second in a row: stored for good, the answer as evidence).
    Told in one ``multi_refill_names_no_order`` warning (its orders are left
    Unknown), ``learned`` saying which."""
    url, key = client.panel.url, client.panel.key
    learned = second_refusal(store, client.name, REFILL_ORDERS, now, known=False, url=url, key=key)
    if learned:
        said = evidence(words)
        learn(store, client.name, REFILL_ORDERS, False, said, now, url=url, key=client.panel.key)
    note = FOR_GOOD if learned else f"named no order once: {AGAIN}"
    log.warning(
        "multi_refill_names_no_order", panel=client.name, answer=words, learned=learned, note=note
    )
    return learned

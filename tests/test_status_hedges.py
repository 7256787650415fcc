"""A status word whose reason takes it back anywhere in its words, not only
first: "Completed: delivery not yet started" was read Completed and the
order stopped being polled (the worst failure: tracking ended in silence)
while the panel said it had not even begun. Such words stay the panel's
own, unknown, polled on; a reason that only says why ("Canceled: link not
found", "Canceled: service not working") stays the status with its reason.
"""

from __future__ import annotations

import json

from words_panel import WordsPanel, in_progress, poll

from tracker.panel import parse, parse_single
from tracker.panel.parse_refill_status import parse_refill_status_single
from tracker.panel.statuses import status_reason

# Words taking the status back somewhere after its first word: unknown.
TAKEN_BACK = [
    "Completed: delivery not yet started",
    "Completed - order will start soon",
    "Completed, waiting for start",
    "Completed: order has not started",
    "Completed: order hasn't started yet",
    "Completed: the order is not finished",
    "Completed – order not delivered yet",
    "Completed: delivery has not begun",
    "Completed: order never started",
    "Completed: not fully delivered",
    "Completed: order not completed",
    "Completed: order is not complete yet",
    "Completed: provider did not deliver",
    "Completed: your order will be completed within 24 hours",
    "Completed: we'll start shortly",
    "Completed: delivery yet to start",
    "Completed: order is being processed",
    "Completed (delivery starts in 2 hours)",
    "Completed: order is in queue",
    "Completed: delivery is still running",
    "Completed: delivery in progress",
    "Completed (pending at provider)",
    "Completed; processing at provider",
    "Completed: awaiting provider",
    "Completed: delivery ETA 2 hours",
    "Completed: order is about to start",
    "Completed: status not final",
    "COMPLETED: ORDER WILL BE DELIVERED SOON",
    "Completed: <b>delivery</b> not yet started",
    "Partial: delivery not yet started",
    "Partial - remains will be delivered soon",
    "Partial: not partial, still running",
    "Canceled: order will be canceled soon",
    "Canceled: cancellation not yet confirmed",
    "Canceled: awaiting cancellation at provider",
    "Canceled: cancel request waiting for provider",
    "Refunded: will be refunded within 24h",
    "Refunded: order not refunded yet",
    # The order going on, after a status saying its delivery ended.
    "Completed: the order is running",
    "Completed - currently running",
    "Completed: partially running",
    "Completed: running",
    "Completed: order active",
    "Completed: working on it",
    "Completed: we are working on it",
    "Completed - currently delivering",
    "Partial: running",
    # The status's own words, then that they failed or were not done.
    "Canceled: cancellation not processed",
    "Canceled: cancel request was not accepted",
    "Canceled: cancel request rejected",
    "Canceled: cancellation not possible",
    "Refunded: refund failed",
    "Completed: delivery failed",
    # Money in one clause, the status taken back in another; a refund to
    # come of a status that is no refund's: unknown.
    "Canceled: refund pending, cancellation not yet confirmed",
    "Canceled: cancel and refund not yet confirmed",
    "Partial: amount refunded for the remains still delivering",
    "Completed: refund pending",
    "Refunded: refund not yet issued",
    # A start still to come of a canceled order.
    "Canceled: not started yet",
]
# Words that say why, or what the order lacks: the status, with its reason.
READ = {
    "Canceled: not enough funds": "Canceled",
    "Completed: no refill": "Completed",
    "Canceled: link not found": "Canceled",
    # Why it was canceled: the service not working. No word of its status.
    "Canceled: service not working": "Canceled",
    "Canceled: the service is not working at the moment": "Canceled",
    "Canceled: link is private, we cannot deliver": "Canceled",
    "Canceled: order did not start, link private": "Canceled",
    "Canceled: order could not be started": "Canceled",
    "Canceled: amount will be refunded to balance": "Canceled",
    # Why it was canceled: its service not running. Of Canceled, no word of
    # going on takes it back ("another order is active on this link").
    "Canceled: service not running": "Canceled",
    # Why it was canceled, first: it could not start, it did not work.
    "Canceled: cannot start, account private": "Canceled",
    "Canceled: not working": "Canceled",
    "Refunded: will not be delivered": "Refunded",
    # A refund to come, pending or none: about the money, not the order,
    # which ended; its late checks read a refund made later.
    "Canceled: will be refunded to balance": "Canceled",
    "Canceled: refund will be issued soon": "Canceled",
    "Canceled: refund not yet issued": "Canceled",
    "Canceled: refund still pending": "Canceled",
    "Canceled: not yet refunded": "Canceled",
    "Canceled: no refund": "Canceled",  # none: the money kept, the order ended
    "Partial: the rest will be refunded soon": "Partial",
    # The status's own words, then by whom or what else: no failure.
    "Canceled: cancelled by admin, not delivered": "Canceled",
    "Partial: delivery failed for the rest": "Partial",
    # What a Completed order has not beside being done: a guarantee.
    "Completed: no guarantee, delivered in full": "Completed",
    "Canceled: another order is active on this link": "Canceled",
    # Going on, but negated, of a refill's guarantee, or of a time.
    "Completed: order not running": "Completed",
    "Completed: order no longer active": "Completed",
    "Completed: 30 days guarantee active": "Completed",
    "Completed: delivered within 2 working days": "Completed",
    "Canceled: profile is not public": "Canceled",
    "Canceled: account does not exist": "Canceled",
    "Canceled: user doesn't exist": "Canceled",
    "Canceled (we couldn't find the post)": "Canceled",
    "Canceled: not available in your country": "Canceled",
    "Canceled: link is not valid, refunded": "Canceled",
    "Canceled - the post has been deleted": "Canceled",
    "Partial: could not deliver the rest": "Partial",
    "Partial: 500 not delivered, refunded": "Partial",
    "Partial: remaining 300 could not be delivered": "Partial",
    "Partial - remains will be delivered": "Partial",  # never re-ordered: see test_status_reason
    "Completed: no drops yet": "Completed",
    "Completed: not refillable": "Completed",
    "Completed: no refill yet": "Completed",
    "Completed: refill will start automatically if drops": "Completed",
    "Completed: refill pending": "Completed",
    "Completed: start count 1520": "Completed",
    "Completed: no start count": "Completed",
    "Completed: delivered in 2 hours": "Completed",
    "Completed: started at 1520, delivered 1000": "Completed",
    "Completed: delivered 1000, no drops": "Completed",
    "Completed: link not public, delivered anyway": "Completed",
    "Completed: we don't offer refill on this service": "Completed",
    "Completed: thank you for your order": "Completed",
    "In progress: order will be completed soon": "In progress",  # not ended either way
    "Pending - order will start soon": "Pending",
}


def test_words_taking_the_status_back_anywhere_leave_it_unknown():
    assert len(TAKEN_BACK) + len(READ) >= 40
    for words in TAKEN_BACK:
        read = parse_single.parse_status_single(5, {"status": words, "remains": "0"})
        assert (read.status, read.known_status, read.raw_status) == (words, False, words), words
        assert status_reason(words) is None, words
    for words, status in READ.items():
        for read in (
            parse_single.parse_status_single(5, {"status": words, "remains": "0"}),
            parse.parse_status_multi([5], {"5": {"status": words}})[5],
        ):
            assert (read.status, read.known_status, read.raw_status) == (status, True, words)
        assert status_reason(words) == words[len(status) :].lstrip(":-–;, (").rstrip(")")


def test_a_refills_words_about_the_refill_take_its_status_back():
    # Of an order, "refill pending" is its refill's; of a refill, its own.
    taken_back = (
        "Completed: refill not yet started",
        "Completed: refill will start soon",
        "Completed: refill running",
    )
    for words in taken_back:
        read = parse_refill_status_single("7", {"status": words})
        assert (read.status, read.known_status) == (words, False), words
    read = (
        "Rejected: not eligible",
        "Rejected: no drop found",
        "Canceled: refill not needed",
        "Rejected: another refill is running",
    )
    for words in read:
        assert parse_refill_status_single("7", {"status": words}).known_status, words


def test_a_long_reason_is_read_by_its_first_words():
    taken_back = "Completed: delivery not yet started. " + "Thank you! " * 50_000
    said_why = "Canceled: link not found. " + "not " * 100_000 + "found"
    for words, known in ((taken_back, False), (said_why, True)):
        assert parse_single.parse_status_single(5, {"status": words}).known_status is known


def test_an_order_said_completed_before_it_started_is_polled_on_and_warned(world):
    w = world(panel_class=WordsPanel)
    [order] = in_progress(w, 1)
    poll(w)
    w.panel.words = {order: "Completed: delivery not yet started"}
    poll(w)
    poll(w)
    [row] = w.store.rows("SELECT status, polling FROM orders WHERE order_id = ?", [order])
    assert row == {"status": "Completed: delivery not yet started", "polling": 1}
    found = json.loads(w.cli("alerts", "--json").stdout)["alerts"]
    [unknown] = [a for a in found if a["kind"] == "unknown_status"]
    assert [s["status"] for s in unknown["data"]["spellings"]] == [
        "Completed: delivery not yet started"
    ]
    w.panel.words = {order: "Completed"}
    poll(w)
    [row] = w.store.rows("SELECT status, polling FROM orders WHERE order_id = ?", [order])
    assert row == {"status": "Completed", "polling": 0}

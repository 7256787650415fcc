"""A status's reason read as its siblings are: words of one family (money
given back, no refund, the order never run, the status's own words not
done) read the same way whatever their wording. "Canceled: will be
refunded to balance" was Canceled while "Canceled: will be returned to
balance" was unknown: the ended order polled on under an ``unknown_status``
alert, or, the other way, an order the panel said had not ended stopped
being polled. Each table holds the siblings read so before and the
wordings that were not.
"""

from __future__ import annotations

import json

from words_panel import WordsPanel, in_progress, poll

from tracker.panel import parse, parse_single
from tracker.panel.statuses import status_reason


def read(words: str) -> tuple[str, bool]:
    """Return (status, known) of ``words`` as a status answer, the same by
    every answer shape; the reason when known, None when not."""
    single = parse_single.parse_status_single(5, {"status": words, "remains": "0"})
    multi = parse.parse_status_multi([5], {"5": {"status": words}})[5]
    assert (single.status, single.known_status) == (multi.status, multi.known_status), words
    assert single.raw_status == words, words
    reason = status_reason(words)
    assert (reason is not None) is (single.known_status and single.status != words), words
    return single.status or "", single.known_status


def check(table: dict[str, str | None]) -> None:
    """Given words -> the status they read as (None: unknown, kept verbatim)."""
    wrong = {}
    for words, status in table.items():
        got = read(words)
        if got != ((status, True) if status else (words, False)):
            wrong[words] = got
    assert wrong == {}


# Money given back to the balance, to come: as "will be refunded to balance".
RETURNED = {
    "Canceled: will be refunded to balance": "Canceled",  # read so before
    "Canceled: returned to your balance": "Canceled",  # read so before
    "Canceled: money returned": "Canceled",  # read so before
    "Canceled: funds returned to balance": "Canceled",  # read so before
    "Canceled: will be returned to balance": "Canceled",
    "Canceled: will be returned to your balance": "Canceled",
    "Canceled - will be returned to the balance soon": "Canceled",
    "Canceled: to be returned to balance": "Canceled",
    "Canceled: being returned to your balance": "Canceled",
    "Canceled: will be added to your balance": "Canceled",
    "Canceled: will be sent back to your balance": "Canceled",
    "Partial: will be returned to balance": "Partial",
    # What is returned is not said: unknown, as before.
    "Canceled: will be returned": None,
    "Canceled: will be returned to the queue": None,
    # A Refunded order's money still to come takes it back, as "Refunded:
    # will be refunded within 24h" does.
    "Refunded: will be returned to balance": None,
    # The order's status taken back in the same words: unknown.
    "Canceled: will be returned to balance, cancellation not yet confirmed": None,
}
# No refund (or charge) after Canceled or Partial: why the order's money
# did not come back; it ended, as "Canceled: refund not issued" did.
NO_REFUND = {
    "Canceled: refund not issued": "Canceled",  # read so before
    "Canceled: money not returned": "Canceled",  # read so before
    "Partial: rest not refunded": "Partial",  # read so before
    "Canceled: no refund": "Canceled",
    "Canceled: not refunded": "Canceled",
    "Canceled - no refund given": "Canceled",
    "Canceled: no refund issued": "Canceled",
    "Canceled (no refund)": "Canceled",
    "Canceled, not refunded": "Canceled",
    "Canceled: not refunded yet": "Canceled",  # as "not yet refunded"
    "Canceled: non-refundable": "Canceled",
    "Canceled: not charged": "Canceled",
    "Canceled: no charge": "Canceled",
    "Partial: no refund": "Partial",
    "Partial: not refunded": "Partial",
    # The order's status or its going on taken back beside it: unknown.
    "Canceled: no refund, cancellation not processed": None,
    "Canceled: not refunded, order still running": None,
    "Partial: not refunded, still delivering": None,
    "Canceled: not yet": None,
    "Canceled: no": None,
    # A Refunded order not refunded, and a Completed one: unknown.
    "Refunded: not refunded": None,
    "Refunded: no refund": None,
    "Completed: no refund": None,
}


def test_money_given_back_to_come_reads_as_a_refund_to_come():
    check(RETURNED)


def test_no_refund_after_canceled_or_partial_is_the_status_with_its_reason():
    check(NO_REFUND)


def test_canceled_no_refund_ends_the_order_and_the_alert_says_so(world):
    w = world(panel_class=WordsPanel)
    kept, returned = in_progress(w, 2)
    poll(w)
    w.panel.words = {kept: "Canceled: no refund", returned: "Canceled: will be returned to balance"}
    poll(w)
    rows = w.store.rows("SELECT order_id, status, raw_status, polling FROM orders ORDER BY 1")
    assert [(r["status"], r["polling"]) for r in rows] == [("Canceled", 0), ("Canceled", 0)]
    alerts = json.loads(w.cli("alerts", "--json").stdout)["alerts"]
    assert [a for a in alerts if a["kind"] == "unknown_status"] == []
    [canceled] = [a for a in alerts if a["kind"] == "order_canceled"]
    reasons = {o["order_id"]: o["reason"] for o in canceled["data"]["orders"]}
    assert reasons == {kept: "no refund", returned: "will be returned to balance"}


# A negation first of the order's processing after Canceled or Refunded:
# why it ended, as "not started" and "order not processed" were. A cancel
# (or refund) not processed names itself and stays unknown.
NOT_PROCESSED = {
    "Canceled: not started": "Canceled",  # read so before
    "Canceled: order not processed": "Canceled",  # read so before
    "Refunded: order not processed": "Refunded",  # read so before
    "Canceled: not processed": "Canceled",
    "Canceled - not processed": "Canceled",
    "Cancelled (Not processed)": "Canceled",
    "Canceled: cannot process, link private": "Canceled",
    "Canceled: will not be processed": "Canceled",
    "Canceled: unprocessed": "Canceled",
    "Refunded: not processed": "Refunded",
    "Canceled: cancellation not processed": None,
    "Canceled: cancel not processed": None,
    "Canceled: cancel request not processed": None,
    "Refunded: refund not processed": None,
    "Canceled: not yet processed": None,
    "Canceled: not processed yet": None,
    "Completed: not processed": None,
    "Partial: not processed": None,
}


def test_canceled_not_processed_is_canceled_as_not_started_is():
    check(NOT_PROCESSED)


# The status's own words said not done, in other words than were read so:
# "refund not issued" as "refund not processed", "delivery incomplete" as
# "delivery not completed". The status taken back: unknown.
OWN_NOT_DONE = {
    "Refunded: refund not processed": None,  # read so before
    "Refunded: refund not yet issued": None,  # read so before
    "Completed: delivery not completed": None,  # read so before
    "Completed: order not completed": None,  # read so before
    "Completed: incomplete": None,  # read so before
    "Refunded: refund not issued": None,
    "Refunded: refund was not issued": None,
    "Refunded: refund not given": None,
    "Refunded: refund not made": None,
    "Refunded: refund not sent": None,
    "Refunded: refund not credited": None,
    "Refunded: refund incomplete": None,
    "Refunded: unrefunded": None,
    "Canceled: cancellation not issued": None,
    "Canceled: cancellation unconfirmed": None,
    "Completed: delivery incomplete": None,
    "Completed: order incomplete": None,
    "Completed: delivery unfinished": None,
    "Completed: order undelivered": None,
    "Completed: order is unfulfilled": None,
    # Said done, or of another thing than the status: as before.
    "Refunded: refund issued": "Refunded",
    "Refunded: refunded to balance": "Refunded",
    "Canceled: refund not issued": "Canceled",  # money's, of Canceled
    "Canceled: order incomplete": "Canceled",
    "Partial: order incomplete": "Partial",
    "Completed: refill incomplete": "Completed",  # the refill's
    "Completed: delivered, uncounted drops": "Completed",
}


def test_the_statuss_own_words_said_not_done_take_it_back_whatever_the_words():
    check(OWN_NOT_DONE)


# A future negated, of what the order lacks or of its money: why, as the
# negation alone is ("Completed: won't drop", "Canceled: not refunded").
WILL_NOT = {
    "Completed: won't drop": "Completed",  # read so before
    "Completed: not refillable": "Completed",  # read so before
    "Completed: refill will not be available": "Completed",  # read so before
    "Completed: will not drop": "Completed",
    "Completed: will never drop": "Completed",
    "Completed: won't be refilled": "Completed",
    "Completed: will not be refilled": "Completed",
    "Completed - we will not refill this service": "Completed",
    "Canceled: will not be refunded": "Canceled",
    "Partial: will not be refunded": "Partial",
    # Of the status itself, or of a Refunded order's money: unknown.
    "Completed: will not be delivered": None,
    "Completed: won't be completed": None,
    "Completed: will not drop, not yet started": None,
    "Refunded: will not be refunded": None,
    "Canceled: will not be canceled": None,
}


def test_a_future_negated_of_what_the_order_lacks_or_its_money_says_why():
    check(WILL_NOT)


# A dash between two clauses parts them as a comma does: the money's words
# in one are not of the order going on in the other.
DASHES = {
    "Canceled: refund pending, order still in progress": None,  # read so before
    "Canceled: refund pending; order still in progress": None,  # read so before
    "Canceled: refund pending - order still in progress": None,
    "Canceled: refund pending – order still in progress": None,
    "Canceled: refund pending—order in progress": None,
    "Partial: refund pending - remains still in progress": None,
    "Canceled: refund pending - link invalid": "Canceled",
    "Canceled - refund pending": "Canceled",
    "Canceled: non-refundable - link invalid": "Canceled",
    "Partial: remains - will be refunded soon": "Partial",
}


def test_a_dash_parts_the_money_from_the_order_as_a_comma_does():
    check(DASHES)


# The status's own words, then that they are still to be done: the status
# taken back, as "refund pending" and "will be refunded" were. Of a
# Refunded order its money's words are its own ("money will be returned").
TO_BE_DONE = {
    "Refunded: refund pending": None,  # read so before
    "Refunded: refund will be issued soon": None,  # read so before
    "Refunded: will be returned to balance": None,  # read so before
    "Canceled: cancellation pending": None,  # read so before
    "Refunded: refund will be issued": None,
    "Refunded: refund to be issued": None,
    "Refunded: refund is being processed": None,
    "Refunded: refund scheduled": None,
    "Canceled: cancellation will be processed": None,
    "Canceled: cancellation is being processed": None,
    "Canceled: cancel to be confirmed": None,
    "Refunded: money will be returned": None,
    "Refunded: funds will be returned to your balance": None,
    "Refunded: money not returned": None,
    "Refunded: amount not credited": None,
    # Done, or money's after Canceled: as before.
    "Refunded: refund issued": "Refunded",
    "Refunded: refund has been issued": "Refunded",
    "Refunded: money returned to balance": "Refunded",
    "Refunded: amount returned to balance": "Refunded",
    "Refunded: credited to balance": "Refunded",
    "Refunded: 5.00 returned to balance": "Refunded",
    "Refunded: not enough balance": "Refunded",
    "Canceled: cancel request accepted": "Canceled",
    "Canceled: refund will be issued": "Canceled",
    "Canceled: refund scheduled": "Canceled",
    "Completed: refill scheduled": "Completed",
}


def test_the_statuss_own_words_still_to_be_done_take_it_back():
    check(TO_BE_DONE)


# Words of an order not ended, in the forms its siblings were read in:
# "almost" as "not yet" before the status's own words, "in process" as "in
# progress", "completes in 24 hours" as "starts in 2 hours", "on hold" and
# "paused" of a Completed or Partial order as "running".
NOT_ENDED = {
    "Completed: almost done": None,  # read so before
    "Completed: delivery in progress": None,  # read so before
    "Refunded: refund in progress": None,  # read so before
    "Completed: starting soon": None,  # read so before
    "Completed: on hold": None,  # read so before
    "Completed: paused": None,  # read so before
    "Completed: delivery almost done": None,
    "Completed: order nearly complete": None,
    "Completed: almost all delivered": None,
    "Completed: in process": None,
    "Completed: order in process": None,
    "Partial: in process": None,
    "Canceled: in process": None,
    "Refunded: refund in process": None,
    "Completed: completes in 24 hours": None,
    "Completed: finishes in 2 hours": None,
    "Completed: order paused": None,
    "Completed: delivery on hold": None,
    "Partial: order on hold": None,
    # Of something else, done, or negated: as before.
    "Completed: delivered almost instantly": "Completed",
    "Completed: 30 days refill, almost no drops": "Completed",
    "Completed: refill in process": "Completed",
    "Completed: delivered in 24 hours": "Completed",
    "Completed: order no longer on hold": "Completed",
    "Completed: order not paused": "Completed",
    "Canceled: account on hold": "Canceled",
    "Canceled: refund in process": "Canceled",
    "Partial: delivery almost done": "Partial",  # delivery is no word of Partial's
}


def test_words_of_an_order_not_ended_read_as_their_siblings():
    check(NOT_ENDED)

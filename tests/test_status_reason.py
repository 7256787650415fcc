"""Order statuses that carry the panel's reason after a known status word.

Some self-hosted panel scripts answer ``"Canceled: invalid link"``,
``"Cancelled (link not found)"`` or ``"Partial - 500 delivered"``: the order IS
canceled (or partial), and the reason is what its buyer wants to see. Read
as that status, the panel's whole words kept in ``raw_status``; words with
no clear separator ("Completed partially") stay unknown, verbatim, as before.
Against the simulated panel answering the orders a test names in the words
it sets, the real Tracker polls and the real CLI shows what a user sees.
"""

from __future__ import annotations

from tracker.panel import parse
from tracker.panel.statuses import status_reason

# The panel's words -> (status, reason): read as a known status and its reason.
READ = {
    "Canceled: invalid link": ("Canceled", "invalid link"),
    "Cancelled (link not found)": ("Canceled", "link not found"),
    "Partial - 500 delivered": ("Partial", "500 delivered"),
    "Partially completed – wrong link": ("Partial", "wrong link"),
    "Completed: refilled": ("Completed", "refilled"),
    "In progress: 30%": ("In progress", "30%"),
    "In_progress; 40 of 100": ("In progress", "40 of 100"),
    "Pending — awaiting provider": ("Pending", "awaiting provider"),
    "Refunded, link removed": ("Refunded", "link removed"),
    "Partial: 500 of 1000 completed": ("Partial", "500 of 1000 completed"),
    # The panel names a status first: its own record of the order says
    # Canceled, the rest is why (the provider lost it). Not "does not exist".
    "Canceled: order not found": ("Canceled", "order not found"),
    "Canceled (Incorrect order ID)": ("Canceled", "Incorrect order ID"),
}
# Words that stay what they were: unknown, kept verbatim, the order open.
NOT_READ = [
    "Completed partially",  # no separator
    "Pending cancel",
    "Canceled partially",
    "Canceled -gone",  # a hyphen is a separator only between spaces
    "Canceled:",  # no reason
    "Canceled - .",
    "Canceled (link) at 12:00",  # the brackets do not end the text
    "Completed, partial",  # a second status: which one is meant is not clear
    "Canceled: refunded",
    "In progress (partially completed)",
    "Failed: invalid link",  # Error/Fail/Failed are left out (see NOT_FOUND)
    "Error: invalid link",
    "Order canceled (link not found)",  # the status word is not first
]
# Words saying the order does not exist: its error, before any reading.
NOT_FOUND = ["Order not found", "Error: order not found", "Incorrect order ID"]


def test_a_known_status_then_a_separator_and_a_reason_is_that_status():
    for words, (status, reason) in READ.items():
        for read in (
            parse.parse_status_single(5, {"status": words, "remains": "7"}),
            parse.parse_status_multi([5], {"5": {"status": words}})[5],
            parse.parse_status_multi([5], [{"order": 5, "status": words}])[5],
            parse.parse_status_multi([5], {"5": words})[5],  # a bare item
        ):
            assert (read.status, read.known_status, read.error) == (status, True, None), words
            assert read.raw_status == words, words
        assert status_reason(words) == reason, words
    for words in NOT_READ:
        read = parse.parse_status_single(5, {"status": words})
        assert (read.status, read.known_status, read.raw_status) == (words, False, words), words
        assert status_reason(words) is None, words
    for words in NOT_FOUND:
        read = parse.parse_status_single(5, {"status": words})
        assert (read.status, read.error) == (None, words), words

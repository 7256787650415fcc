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

import json
from typing import Any

from refill_world import KEY, World
from words_panel import WordsPanel, in_progress, poll

from tracker.cli.render import transition_line
from tracker.panel import parse, parse_single
from tracker.panel.parse_refill_status import parse_refill_status_single
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
    # A second status that agrees with the first: a canceled order is one
    # whose money came back, and a refunded one was canceled.
    "Canceled – refunded": ("Canceled", "refunded"),
    "Canceled: refunded": ("Canceled", "refunded"),
    "Cancelled (refunded)": ("Canceled", "refunded"),
    "Canceled - refund issued to balance": ("Canceled", "refund issued to balance"),
    "Refunded: canceled by admin": ("Refunded", "canceled by admin"),
    # A partial order had the rest of its money back: refunded agrees with it.
    "Partial: refunded 120": ("Partial", "refunded 120"),
    "Partial (refunded)": ("Partial", "refunded"),
    # Not refunded: why the money did not come back; the order ended.
    "Canceled: not refunded": ("Canceled", "not refunded"),
    "Partial: not refunded": ("Partial", "not refunded"),
    # A negation about what the order lacks, not about its status.
    "Canceled: not enough funds": ("Canceled", "not enough funds"),
    "Canceled: no such user": ("Canceled", "no such user"),
    "Completed: no refill": ("Completed", "no refill"),
    "Canceled (not found)": ("Canceled", "not found"),
    "Completed (100%)": ("Completed", "100%"),
    "Canceled: none delivered": ("Canceled", "none delivered"),
    "Canceled: nothing delivered": ("Canceled", "nothing delivered"),
    "Completed: notified": ("Completed", "notified"),
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
    "Completed (partial)",  # delivered in full, or not?
    "Completed / Canceled",
    "Completed: canceled",
    "Canceled: completed",
    "Refunded - partial",
    "In progress (partially completed)",
    "Failed: invalid link",  # Error/Fail/Failed are left out (see NOT_FOUND)
    "Error: invalid link",
    "Order canceled (link not found)",  # the status word is not first
    # A reason that begins with another status in another form: inflected,
    # negated, or Error/Fail/Failed (not clearly Completed, Partial, ...).
    "Completed (partially)",
    "Completed, partially",
    "Completed - partially delivered",
    "Completed: failed",
    "Completed; ERROR at provider",
    "Completed: incomplete",
    "Completed (not completed)",
    "Partial: failed at provider, retrying",
    "Canceled: partially refunded",
    "Pending - cancellation requested",
    "Completed: <b>pending</b>",  # the other status in an HTML tag: read as Completed before
    'Completed - <span class="x">in progress</span>',
    # Taken back after the word: negated, still to come, or a guess.
    "Completed: not yet",
    "Completed (not yet)",
    "Completed - NOT YET",
    "Completed, not",
    "Completed: no",
    "Completed (never)",
    "Completed: isn't",
    "Completed: won’t be",
    "Completed (cannot confirm)",
    "Completed: not really",
    "Completed: <i>not yet</i>",
    "Completed - soon",
    "Completed (soon)",
    "Completed: almost",
    "Completed – nearly done",
    "Completed: yet to start",
    "Completed: still running",
    "Completed: expected 12:00",
    "Completed: will be soon",
    "Completed (to be confirmed)",
    "Completed - in 2 hours",
    "Completed: waiting for provider",
    "Partial: not yet",
    "Canceled: not yet",
    "Canceled (pending)",
    "Refunded - soon",
]
# Words saying the order does not exist: its error, before any reading.
NOT_FOUND = ["Order not found", "Error: order not found", "Incorrect order ID"]


def test_a_known_status_then_a_separator_and_a_reason_is_that_status():
    for words, (status, reason) in READ.items():
        for read in (
            parse_single.parse_status_single(5, {"status": words, "remains": "7"}),
            parse.parse_status_multi([5], {"5": {"status": words}})[5],
            parse.parse_status_multi([5], [{"order": 5, "status": words}])[5],
            parse.parse_status_multi([5], {"5": words})[5],  # a bare item
        ):
            assert (read.status, read.known_status, read.error) == (status, True, None), words
            assert read.raw_status == words, words
        assert status_reason(words) == reason, words
        assert reason in transition_line(_to(status, words)), words
    for words in NOT_READ:
        read = parse_single.parse_status_single(5, {"status": words})
        assert (read.status, read.known_status, read.raw_status) == (words, False, words), words
        assert status_reason(words) is None, words
        assert transition_line(_to(words, words)).endswith(f"-> {words}"), words
    for words in NOT_FOUND:
        read = parse_single.parse_status_single(5, {"status": words})
        assert (read.status, read.error) == (None, words), words


# The status word alone, as panels end it or shout it: that status.
SAME = {
    "Completed.": "Completed",
    "Completed!": "Completed",
    "Completed...": "Completed",
    "Completed !": "Completed",
    "COMPLETED": "Completed",
    "Canceled.": "Canceled",
    "In progress…": "In progress",
}


def test_a_status_word_ended_by_a_full_stop_or_exclamation_mark_is_that_status():
    for words, status in SAME.items():
        read = parse_single.parse_status_single(5, {"status": words})
        assert (read.status, read.known_status, read.raw_status) == (status, True, words), words
        assert status_reason(words) is None, words
    assert parse_single.parse_status_single(5, {"status": "Completed?"}).known_status is False


def test_a_refill_status_taken_back_after_its_word_is_unknown():
    # Read Completed, the refill was closed while the panel still ran it.
    for words in ("Completed: not yet", "Completed (soon)", "Completed. Not yet"):
        read = parse_refill_status_single("7", {"status": words})
        assert (read.status, read.known_status) == (words, False), words
    for words in ("Completed.", "Completed!", "Rejected: not eligible"):
        assert parse_refill_status_single("7", {"status": words}).known_status, words


def _to(status: str, raw: str) -> dict[str, Any]:
    at = "2026-12-01T10:42:55+00:00"
    return {
        "at": at,
        "panel": "p",
        "order_id": 5,
        "from_status": "Pending",
        "to_status": status,
        "raw_status": raw,
    }


def alerts(w: World, kind: str) -> list[dict[str, Any]]:
    found = json.loads(w.cli("alerts", "--json").stdout)["alerts"]
    return [a for a in found if a["kind"] == kind]


def stored(w: World, order_id: int) -> dict[str, Any]:
    [row] = w.store.rows(
        "SELECT status, raw_status, polling, error FROM orders WHERE order_id = ?", [order_id]
    )
    return row


def test_canceled_with_a_reason_ends_the_order_and_says_why(world):
    w = world(panel_class=WordsPanel)
    canceled, unclear = in_progress(w, 2)
    poll(w)
    w.panel.words = {canceled: "Canceled: invalid link", unclear: "Completed partially"}
    poll(w)
    poll(w)
    assert stored(w, canceled) == {
        "status": "Canceled",
        "raw_status": "Canceled: invalid link",
        "polling": 0,
        "error": None,
    }
    # No separator: as before, kept verbatim, still polled, and alerted unknown.
    assert stored(w, unclear) == {
        "status": "Completed partially",
        "raw_status": "Completed partially",
        "polling": 1,
        "error": None,
    }
    [unknown] = alerts(w, "unknown_status")
    assert unknown["data"]["spellings"] == [
        {"status": "Completed partially", "orders": 1, "order_ids": [unclear]}
    ]
    [alert] = alerts(w, "order_canceled")
    assert alert["message"].startswith(f"sim: order #{canceled} canceled: 'invalid link' (remains")
    assert alert["data"]["orders"][0]["reason"] == "invalid link"
    # The listing says it too; --status Canceled finds it.
    [line] = [x for x in w.cli("orders").stdout.splitlines() if f" {canceled} " in x]
    assert "Canceled: invalid link" in line
    listed = json.loads(w.cli("orders", "--status", "canceled", "--json").stdout)
    assert [(r["order_id"], r["status"], r["raw_status"]) for r in listed] == [
        (canceled, "Canceled", "Canceled: invalid link")
    ]
    # So does the status as the listing shows it, copied from its STATUS column.
    copied = w.cli("orders", "--status", "Canceled: invalid link", "--json")
    assert copied.exit_code == 0, copied.output
    assert json.loads(copied.stdout) == listed
    history = w.cli("history", str(canceled)).stdout
    assert f"sim #{canceled}: Canceled: invalid link" in history
    assert "In progress  Canceled: invalid link" in history


def test_a_status_taken_back_after_its_word_keeps_the_order_polled_and_warned(world):
    # "Completed: not yet" was read Completed: the order stopped being polled
    # (the worst case: it never moved again in the tracker) while the panel
    # said it had not ended. Now an unknown status, polled on, alerted once,
    # until the panel says "Completed." and the order ends.
    w = world(panel_class=WordsPanel)
    colon, brackets = in_progress(w, 2)
    poll(w)
    w.panel.words = {colon: "Completed: not yet", brackets: "Completed (not yet)"}
    poll(w)
    poll(w)
    for order, words in ((colon, "Completed: not yet"), (brackets, "Completed (not yet)")):
        assert stored(w, order) == {
            "status": words,
            "raw_status": words,
            "polling": 1,
            "error": None,
        }
    [unknown] = alerts(w, "unknown_status")
    assert sorted(s["status"] for s in unknown["data"]["spellings"]) == [
        "Completed (not yet)",
        "Completed: not yet",
    ]
    w.panel.words = {colon: "Completed.", brackets: "Completed!"}
    poll(w)
    assert [stored(w, order)["status"] for order in (colon, brackets)] == ["Completed"] * 2
    assert [stored(w, order)["polling"] for order in (colon, brackets)] == [0, 0]


def test_partial_with_a_reason_is_partial(world):
    w = world(panel_class=WordsPanel)
    a, b = in_progress(w, 2)
    poll(w)
    w.panel.words = {a: "Partial - 500 delivered", b: "Partial - 500 delivered"}
    poll(w)
    assert [stored(w, i)["status"] for i in (a, b)] == ["Partial", "Partial"]
    assert stored(w, a)["raw_status"] == "Partial - 500 delivered"
    [alert] = alerts(w, "order_partial")
    # Two orders, one reason: the message quotes it once.
    assert alert["message"] == f"sim: 2 orders partial ('500 delivered'): #{a}, #{b}"
    assert [o["reason"] for o in alert["data"]["orders"]] == ["500 delivered"] * 2
    assert alerts(w, "unknown_status") == []


def test_an_order_kept_in_such_words_before_is_read_at_its_next_poll(world):
    w = world(panel_class=WordsPanel)
    [order] = in_progress(w, 1)
    w.panel.words = {order: "Cancelled (link not found)"}
    # As an earlier version stored it: the words as the status, still polled.
    with w.store.write() as db:
        db.execute(
            "UPDATE orders SET status = ?, raw_status = ? WHERE order_id = ?",
            ["Cancelled (link not found)", "Cancelled (link not found)", order],
        )
    poll(w)
    assert stored(w, order)["status"] == "Canceled"
    assert stored(w, order)["polling"] == 0
    [alert] = alerts(w, "order_canceled")
    assert "canceled: 'link not found'" in alert["message"]


def test_the_reason_never_holds_the_key_and_comes_out_escaped(world):
    w = world(panel_class=WordsPanel)
    echoed, controls = in_progress(w, 2)
    poll(w)
    w.panel.words = {echoed: f"Canceled: {KEY}"}
    poll(w)
    w.panel.words[controls] = "Canceled: bad\x1b[2J link\u202e"
    poll(w)
    assert stored(w, echoed)["status"] == stored(w, controls)["status"] == "Canceled"
    assert stored(w, echoed)["raw_status"] == "Canceled: ***"
    first, second = alerts(w, "order_canceled")
    assert first["message"].startswith(f"sim: order #{echoed} canceled: '***' (remains")
    assert first["data"]["orders"][0]["reason"] == "***"
    assert second["message"].startswith(
        f"sim: order #{controls} canceled: 'bad\\x1b[2J link\\u202e' (remains"
    )
    outputs = [
        w.cli("alerts").stdout,
        w.cli("alerts", "--json").stdout,
        w.cli("orders").stdout,
        w.cli("orders", "--json").stdout,
        w.cli("history", str(echoed)).stdout,
        w.cli("history", str(echoed), "--json").stdout,
    ]
    for text in outputs:
        assert KEY not in text
        assert "\x1b" not in text and "\u202e" not in text
    rows = w.store.rows("SELECT message || data AS text FROM alerts")
    assert rows and all(KEY not in r["text"] for r in rows)
    table = w.cli("orders").stdout
    assert "Canceled: ***" in table
    assert "Canceled: bad\\x1b[2J link\\u202e" in table


def reordering(world: Any) -> World:
    """A world whose automation re-orders Partials of service 1 (cap 100), its
    services synced."""
    w = world(
        panel_class=WordsPanel,
        automation="reorder = true\nreorder_services = [1]\ndaily_cap = 100",
    )
    w.sync_services()
    return w


def test_a_reason_naming_another_status_in_other_words_spends_and_ends_nothing(world):
    # "Completed (partially)" is not clearly Completed, nor "Partial: failed at
    # provider, retrying" clearly a Partial whose remainder can be re-ordered:
    # read so, one order stopped being polled with no partial alert, the other
    # had its remainder bought again while the panel still retried it.
    w = reordering(world)
    completed, partial = in_progress(w, 2)
    poll(w)
    w.panel.words = {
        completed: "Completed (partially)",
        partial: "Partial: failed at provider, retrying",
    }
    poll(w)
    assert w.jobs["automation:sim"].run()
    assert w.panel.calls["add"] == 0
    for order in (completed, partial):
        assert stored(w, order)["polling"] == 1
        assert stored(w, order)["status"] == w.panel.words[order]
    [unknown] = alerts(w, "unknown_status")
    assert unknown["data"]["count"] == 2
    assert alerts(w, "order_partial") == []


def test_a_partial_with_a_reason_is_never_re_ordered_automatically(world):
    # "Partial - resuming" or "Partial: remains will be delivered" is a Partial
    # the panel may still be delivering: buying the remainder again could pay
    # for it twice. It is alerted and listed as Partial, and the automation
    # leaves it to the user, saying why; a plain Partial beside it is re-ordered.
    w = reordering(world)
    with_reason, plain = in_progress(w, 2)
    poll(w)
    w.panel.words = {with_reason: "Partial - remains will be delivered", plain: "Partial"}
    poll(w)
    assert stored(w, with_reason)["status"] == stored(w, plain)["status"] == "Partial"
    assert w.jobs["automation:sim"].run()
    assert w.panel.calls["add"] == 1
    placed = w.store.rows("SELECT order_id FROM automation_actions WHERE action = 'reorder'")
    assert placed == [{"order_id": plain}]
    [skip] = w.store.rows("SELECT order_id, reason FROM automation_skips WHERE action = 'reorder'")
    assert skip["order_id"] == with_reason and "reason with its Partial status" in skip["reason"]


def test_canceled_then_refunded_ends_the_order_canceled(world):
    # "Canceled – refunded" was an unknown status: the order kept open and
    # polled, an `unknown_status` alert, no `order_canceled`. Two statuses
    # that say two things ("Completed (partial)") stay unknown.
    w = world(panel_class=WordsPanel)
    canceled, unclear = in_progress(w, 2)
    poll(w)
    w.panel.words = {canceled: "Canceled – refunded", unclear: "Completed (partial)"}
    poll(w)
    assert stored(w, canceled) == {
        "status": "Canceled",
        "raw_status": "Canceled – refunded",
        "polling": 0,
        "error": None,
    }
    assert stored(w, unclear)["status"] == "Completed (partial)"
    assert stored(w, unclear)["polling"] == 1
    [unknown] = alerts(w, "unknown_status")
    assert [s["status"] for s in unknown["data"]["spellings"]] == ["Completed (partial)"]
    [alert] = alerts(w, "order_canceled")
    assert alert["message"].startswith(f"sim: order #{canceled} canceled: 'refunded' (remains")
    history = w.cli("history", str(canceled)).stdout
    assert "In progress  Canceled: refunded" in history

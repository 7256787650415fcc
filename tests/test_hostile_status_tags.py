"""A status word wrapped in HTML tags (``<b>In progress</b>``, ``<span
class="badge">Completed</span>``), as a script that fills its API answer
from its page's badges writes it: read as the word inside. It was an
unknown status (an ``unknown_status`` alert, no rule applying). Tags are
taken off only when the whole value is tags around words; the raw text
stays as sent, and one spelling no known word stays unknown as sent.
Through the real CLI against a scripted panel on loopback."""

from __future__ import annotations

from test_hostile_status_entities import polled_as

from tracker.panel.statuses import normalize_order_status, normalize_refill_status

KEY = "hostile-key-Tags169Zq"


def test_a_status_in_html_tags_is_the_word_inside(tmp_path, monkeypatch):
    spelt = [
        "<b>Pending</b>",
        '<span class="badge">Partial</span>',
        "<font color='green'><b>Completed</b></font>",
    ]
    orders, kinds = polled_as(tmp_path, monkeypatch, KEY, spelt)
    assert orders == [(7, "Pending", 1), (8, "Partial", 0), (9, "Completed", 0)]
    assert "unknown_status" not in kinds


def test_only_tags_around_words_are_taken_off():
    assert normalize_order_status("<b>In progress</b>") == ("In progress", True)
    assert normalize_order_status("<b>In&nbsp;progress</b>") == ("In progress", True)
    assert normalize_order_status("<i>In</i> <i>progress</i>") == ("In progress", True)
    assert normalize_refill_status('<span class="x">Completed</span>') == ("Completed", True)
    # Not tags around words, or no known word inside: unknown, as sent.
    assert normalize_order_status("<b>Completed") == ("<b>Completed", False)
    assert normalize_order_status("Completed <3 >") == ("Completed <3 >", False)
    assert normalize_order_status("<b>Stuck</b>") == ("<b>Stuck</b>", False)
    assert normalize_order_status("<b></b>") == ("<b></b>", False)

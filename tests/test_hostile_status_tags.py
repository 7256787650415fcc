"""A status word wrapped in HTML tags (``<b>In progress</b>``, ``<span
class="badge">Completed</span>``), as a script that fills its API answer
from its page's badges writes it: read as the word inside. It was an
unknown status (an ``unknown_status`` alert, no rule applying). Tags are
taken off only when the whole value is tags around words; the raw text
stays as sent, and one spelling no known word stays unknown as sent.
Through the real CLI against a scripted panel on loopback."""

from __future__ import annotations

import sqlite3

from hostile import json_reply
from simconfig import scripted_panel

from tracker.panel.statuses import normalize_order_status, normalize_refill_status

KEY = "hostile-key-Tags169Zq"
GOING = {"status": "In progress", "remains": "5", "charge": "0.5"}


def test_a_status_in_html_tags_is_the_word_inside(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING, "9": GOING})
        assert cli("track", "7", "8", "9").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        replies["status"] = json_reply(
            {
                "7": {"status": "<b>Pending</b>", "remains": "5"},
                "8": {"status": '<span class="badge">Partial</span>', "remains": "2"},
                "9": {"status": "<font color='green'><b>Completed</b></font>", "remains": "0"},
            }
        )
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        orders = list(db.execute("SELECT order_id, status, polling FROM orders ORDER BY 1"))
        kinds = [kind for (kind,) in db.execute("SELECT kind FROM alerts")]
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

"""A status word written through PHP's HTML escaping (``In&nbsp;progress``,
``Partial&#32;``, ``Completed&#x2e;``), as a script that fills its API
answer from its page's labels writes it: read as the word it spells, as it
is read in full-width letters or with a zero-width space. It was an
unknown status, the order polled with no rule applying to it and an
``unknown_status`` alert. The stored raw text stays as the panel sent it;
an entity spelling no known word stays unknown. Through the real CLI
against a scripted panel on loopback."""

from __future__ import annotations

import sqlite3

from hostile import json_reply
from simconfig import scripted_panel

from tracker.panel.statuses import normalize_order_status, normalize_refill_status

KEY = "hostile-key-Entities162Zq"
GOING = {"status": "In progress", "remains": "5", "charge": "0.5"}


def polled_as(tmp_path, monkeypatch, key: str, spelt: list[str]) -> tuple[list, list]:
    """Track orders 7, 8 and 9 (In progress), then have the panel answer
    their statuses spelt ``spelt`` (Pending, Partial and Completed as a
    script writes them) and run `run --once`; return the orders stored
    (ID, status, polling) and the alerts' kinds."""
    with scripted_panel(tmp_path, monkeypatch, key) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING, "9": GOING})
        assert cli("track", "7", "8", "9").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        remains = ["5", "2", "0"]
        replies["status"] = json_reply(
            {
                str(oid): {"status": status, "remains": left}
                for oid, status, left in zip((7, 8, 9), spelt, remains, strict=True)
            }
        )
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        orders = list(db.execute("SELECT order_id, status, polling FROM orders ORDER BY 1"))
        kinds = [kind for (kind,) in db.execute("SELECT kind FROM alerts")]
    return orders, kinds


def test_a_status_spelt_with_html_entities_is_the_status_it_spells(tmp_path, monkeypatch):
    spelt = ["Pending&nbsp;", "Partial&#32;", "Completed&#x2e;"]
    orders, kinds = polled_as(tmp_path, monkeypatch, KEY, spelt)
    assert orders == [(7, "Pending", 1), (8, "Partial", 0), (9, "Completed", 0)]
    assert "unknown_status" not in kinds


def test_only_entities_spelling_a_known_word_are_read():
    assert normalize_order_status("In&nbsp;progress") == ("In progress", True)
    assert normalize_order_status("Canceled&#58; link removed") == ("Canceled", True)
    assert normalize_refill_status("Completed&nbsp;") == ("Completed", True)
    # Spelling nothing known: unknown, the panel's text as it sent it.
    assert normalize_order_status("Canceled &amp; refunded") == ("Canceled &amp; refunded", False)
    assert normalize_order_status("&lt;b&gt;") == ("&lt;b&gt;", False)

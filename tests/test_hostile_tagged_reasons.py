"""A status word in HTML tags with the panel's reason after it (``<b>Canceled</b>:
not enough followers``, ``<span class="badge">Partial</span> (refunded 120)``),
as a script filling its API answer from its page's badge and note writes it:
read as the leading word with that reason, as "Canceled: not enough
followers" is. It was an unknown status (an ``unknown_status`` alert, the
order polled for ever). The raw text stays as sent; the reason is the
order's (an alert's, a re-order's check); a leading word no known status,
or tags left open, stay unknown as sent. Through the real CLI against a
scripted panel on loopback."""

from __future__ import annotations

import json
import sqlite3

from test_hostile_status_entities import polled_as

from tracker.panel.statuses import normalize_order_status, normalize_refill_status, status_reason

KEY = "hostile-key-Tagged172Zq"
SPELT = [
    "<b>In progress</b> - speed 1k/day",
    '<span class="badge">Partial</span> (refunded 120)',
    "<b>Canceled</b>: not enough followers",
]


def test_a_tagged_status_with_a_reason_is_the_leading_word(tmp_path, monkeypatch):
    orders, kinds = polled_as(tmp_path, monkeypatch, KEY, SPELT)
    assert orders == [(7, "In progress", 1), (8, "Partial", 0), (9, "Canceled", 0)]
    assert "unknown_status" not in kinds
    with sqlite3.connect(tmp_path / "t.db") as db:
        raw = [r for (r,) in db.execute("SELECT raw_status FROM orders ORDER BY order_id")]
        data = [json.loads(d) for (d,) in db.execute("SELECT data FROM alerts")]
    assert raw == SPELT  # as the panel sent it
    reasons = {
        order["order_id"]: order.get("reason")
        for alert in data
        for order in alert.get("orders", [])
    }
    assert reasons == {8: "refunded 120", 9: "not enough followers"}


def test_only_closed_tags_around_a_known_leading_word_are_read():
    assert normalize_order_status("<b>Canceled</b>: link removed") == ("Canceled", True)
    assert status_reason("<b>Canceled</b>: link removed") == "link removed"
    assert normalize_refill_status("<b>Rejected</b>: invalid link") == ("Rejected", True)
    # Tags left open, no known word, a reason taking the status back: as sent.
    for raw in (
        "<b>Canceled: link removed",
        "<b>Stuck</b>: at provider",
        "<b>Completed</b>: not yet",
    ):
        assert normalize_order_status(raw) == (raw, False)
        assert status_reason(raw) is None

"""A panel's text in an alert's data goes out as characters, never obeyed.

An alert's ``data`` carries a panel's own words (a balance's ``currency``, a
refill's ``error``, an order's status): JSON escapes C0 controls but not a
right-to-left override or a zero-width space, and a receiver formatting
``data`` fields (a chat bot) showed them raw. The database keeps the exact
words (evidence); what is sent has them escaped as the message has. An alert
stored before messages were escaped, sent again from the outbox, goes out
escaped too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock

from tracker.alerts.alerter import raise_alert
from tracker.alerts.payloads import payload
from tracker.alerts.redeliver import Keeper, redeliver
from tracker.rules.episodes import Alert
from tracker.store import alerts as store_alerts
from tracker.store.orders import Store

BIDI = "US\u202eDSU\u2066"
DATA = {
    "balance": 9.85,
    "currency": BIDI + "\x1b[2J",
    "low": 10.0,
    "refills": [{"order_id": 5, "refill_id": 7, "status": "Re\u200bjected", "error": "a\rb"}],
}
RAW = "main: balance 9.85 US\u202eDSU is low\x1b[2J\r"
SHOWN = "main: balance 9.85 US\\u202eDSU is low\\x1b[2J\\r"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    made = Store(tmp_path / "t.db")
    yield made
    made.close()


def test_the_json_webhook_sends_panel_text_in_data_escaped_keys_and_figures_unchanged() -> None:
    alert = Alert("balance_low", "main: balance low", panel="main", data=DATA)
    sent = payload(alert, "json")["data"]
    assert sent == {
        "balance": 9.85,
        "currency": "US\\u202eDSU\\u2066\\x1b[2J",
        "low": 10.0,
        "refills": [{"order_id": 5, "refill_id": 7, "status": "Re\\u200bjected", "error": "a\\rb"}],
    }
    # What a receiver gets after json.loads: no character it would obey or hide.
    assert "\u202e" not in json.loads(json.dumps(sent)).get("currency")


def test_the_database_keeps_the_panels_exact_words_in_data(store: Store) -> None:
    raised = raise_alert(Alert("balance_low", "main: low", panel="main", data=DATA), store=store)
    [row] = store.rows("SELECT data FROM alerts WHERE id = ?", [raised.id])
    assert json.loads(row["data"]) == DATA


def test_an_alert_stored_raw_before_is_sent_again_escaped(store: Store) -> None:
    # Stored as the tracker stored it before its messages were escaped.
    alert = Alert("balance_low", RAW, panel="main", data={"currency": BIDI}, at=FakeClock()())
    alert = replace(alert, id=store_alerts.record_alert(store, alert, None))
    clock = FakeClock()
    keeper = Keeper(store, clock, 86400.0)
    keeper.failed(alert, "webhook", "HTTP 503")
    clock.advance(61)
    bodies: list[dict[str, Any]] = []

    def deliver(kept: Alert, late: str) -> None:
        for fmt in ("json", "slack", "telegram"):
            bodies.append(payload(kept, fmt, "@chan", late))

    assert redeliver(keeper, {"webhook": deliver}, lambda: False)["delivered"] == 1
    as_json, slack, telegram = bodies
    assert as_json["message"] == SHOWN and as_json["late"] is True
    assert as_json["data"] == {"currency": "US\\u202eDSU\\u2066"}
    assert slack["text"].endswith(SHOWN) and telegram["text"].endswith(SHOWN)


def test_text_escaped_already_is_sent_unchanged() -> None:
    once = payload(Alert("balance_low", RAW, data=DATA), "json")
    twice = payload(Alert("balance_low", once["message"], data=once["data"]), "json")
    assert (twice["message"], twice["data"]) == (SHOWN, once["data"])


class _Answer:
    status_code = 200
    content = b"{}"
    text = "{}"
    headers: dict[str, str] = {}


def test_an_apprise_target_gets_a_raw_stored_message_escaped(monkeypatch) -> None:
    pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")
    import requests

    from tracker.alerts.notify import NotifyTarget

    bodies: list[dict[str, Any]] = []

    def post(url: str, *args: Any, **kwargs: Any) -> _Answer:
        bodies.append(json.loads(kwargs.get("data") or "{}"))
        return _Answer()

    monkeypatch.setattr(requests, "post", post)
    target = NotifyTarget("ntfy://ntfy.example/topic", 0, timeout=10)
    assert target.deliver(Alert("balance_low", RAW, panel="main")) is None
    [body] = bodies
    assert body["message"] == SHOWN

"""A success envelope holding nothing, or saying words and holding no
answer, answered to ``cancel`` or ``refill`` (``{"status": "success",
"message": "Order canceled", "data": {}}``), through the real CLI and a
scripted panel on loopback: the outcome stays unknown, and the panel's
words are said and stored with it. They were dropped with the envelope
("not in the panel's answer"; to refill the bare ``{}`` shown), or its
keys were read as orders nobody asked for (``cancel_answer_ignored``).
Words that tell nothing ("OK", "success") are dropped as before: the
envelope is read as the bare answer (test_hostile_empty_envelopes.py)."""

from __future__ import annotations

import pytest
from envelope_kit import cancelled, refilled
from logcapture import fresh_logs  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its log lines read from the CLI's output

KEY = "hostile-key-EnvelopeWords193Zq"


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "success", "message": "Order canceled", "data": {}},
        {"success": True, "msg": "Order canceled", "result": []},
        {"status": "success", "message": "Order canceled"},
    ],
    ids=["data-object", "result-list", "no-holder"],
)
def test_a_cancel_answered_words_and_no_result_says_them(tmp_path, monkeypatch, answer):
    exit_code, said, cancels = cancelled(tmp_path, monkeypatch, KEY, answer)
    assert exit_code != 0
    [(order_id, result, error)] = cancels
    assert (order_id, result) == (7, "Unknown")  # never accepted on words alone
    assert "Order canceled" in error
    assert any("#7  unknown:" in line and "Order canceled" in line for line in said), said
    assert not [line for line in said if "cancel_answer_ignored" in line]


def test_a_refill_answered_words_and_no_result_says_them(tmp_path, monkeypatch):
    answer = {"status": "success", "message": "Refill request accepted", "data": {}}
    exit_code, said, refills = refilled(tmp_path, monkeypatch, KEY, answer)
    [(refill_id, status, error)] = refills
    assert (refill_id, status) == (None, "Unknown")
    assert "Refill request accepted" in error
    assert any("Refill request accepted" in line for line in said), said

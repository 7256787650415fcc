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
from hostile import json_reply
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


def test_a_multi_refill_answered_words_and_no_result_says_them(tmp_path, monkeypatch):
    """The refill job's call for many orders: each order's request Unknown
    (it may have been made), the panel's words stored with it, an answer
    as the bare ``[]`` is ("not in the panel's answer"), never a failed
    call, never asked again alone."""
    from scripted_panel import rows
    from simconfig import request_refills_once, scripted_panel
    from structlog.testing import capture_logs

    answer = {"status": "success", "message": "Refills queued", "data": []}
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        assert cli("track", "5", "6").exit_code == 0
        replies["refill"] = json_reply(answer)
        with capture_logs() as logs:
            request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
        assert server.calls("refill") == 1
    # An answer, as the bare [] is: no failed call (refill_request_failed, errors=1).
    assert not [e for e in logs if e["event"] == "refill_request_failed"], logs
    [done] = [e for e in logs if e["event"] == "refill_requests_done"]
    assert (done["errors"], done["unknown"]) == (0, 2)
    stored = rows(tmp_path, "SELECT order_id, status, error FROM refills ORDER BY order_id")
    assert [(o, status) for o, status, _ in stored] == [(5, "Unknown"), (6, "Unknown")]
    assert all("Refills queued" in error for _, _, error in stored), stored

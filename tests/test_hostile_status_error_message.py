"""A whole-answer refusal written as JSON APIs write one, ``{"status":
"error", "message": "Invalid API key"}`` (``"fail"``, ``"msg"``,
``{"success": false, "message": ...}``), to a call that only reads, and an
error flag with its words beside it (``{"error": true, "message": ...}``,
to any call): judged exactly as the same refusal as ``{"error": ...}``. The
flag's was the words "true", the order's error. To a status call about
one order (asked alone after a multi answer left it out) it was that
order's status, stored as Failed; to a multi call a failed poll ("answered
none of the asked IDs"), no ``auth_failed``. An answer holding an order's
field beside such words, or a status word that is no error, stays the
answer it is. Through the real CLI and a scripted panel on loopback."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest
from hostile import json_reply
from simconfig import polled_then_answered, scripted_panel

KEY = "hostile-key-Message162Zq"
GOING = {"status": "In progress", "remains": "5", "charge": "0.5", "start_count": "10"}
WORDED = [
    {"status": "error", "message": "Invalid API key"},
    {"status": "fail", "msg": "Invalid API key"},
    {"success": False, "message": "Invalid API key"},
]
# An error flag, its words beside it.
FLAGGED = [
    {"error": True, "message": "Invalid API key"},
    {"error": 1, "msg": "Invalid API key"},
    {"error": "true", "message": "Invalid API key", "code": 401},
]


def _rows(directory: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(directory / "t.db") as db:
        return list(db.execute(sql))


def _refused(directory: Any, monkeypatch: Any, answer: Any, alone: bool) -> Any:
    """Track orders 7 and 8 and poll them (In progress), then answer status
    with ``answer``: every call, or (``alone``) the call about order 7 alone
    that follows a multi answer leaving it out. Return the run's exit code,
    what it printed, the alerts and the orders stored."""
    run, _ = polled_then_answered(directory, monkeypatch, KEY, GOING, answer, alone)
    assert "Traceback" not in run.output
    said = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(?:\+00:00|Z)?", "T", run.stdout)  # times vary
    said = re.sub(r"paused \(key refused\):.*", "paused (key refused)", said)  # jobs' race
    alerts = _rows(directory, "SELECT kind, severity, message FROM alerts ORDER BY id")
    orders = _rows(directory, "SELECT order_id, status, error FROM orders ORDER BY 1")
    return run.exit_code, said, alerts, orders


@pytest.mark.parametrize("alone", [False, True], ids=["multi", "alone"])
@pytest.mark.parametrize(
    "answer",
    WORDED + FLAGGED,
    ids=["status-error", "status-fail", "success-false", "error-true", "error-1", "error-text"],
)
def test_a_refusal_in_status_and_message_is_judged_as_the_plain_one(
    tmp_path, monkeypatch, answer, alone
):
    plain = _refused(tmp_path / "plain", monkeypatch, {"error": "Invalid API key"}, alone)
    worded = _refused(tmp_path / "worded", monkeypatch, answer, alone)
    assert worded == plain
    exit_code, _, alerts, orders = worded
    assert exit_code != 0
    assert ("auth_failed",) in [(kind,) for kind, _, _ in alerts]
    assert orders == [(7, "In progress", None), (8, "In progress", None)]


def test_only_an_answer_of_status_and_words_alone_is_read_so():
    from tracker.panel.script_shapes import error_said

    for answer in WORDED:
        assert error_said(answer) == {"error": "Invalid API key"}
    kept = [
        {"status": "Failed", "remains": "5", "charge": "0.5"},  # an order's
        {"status": "Error", "message": "Link is private", "remains": "5"},  # an order's field
        {"status": "Completed", "message": "Order completed"},  # no error word
        {"success": True, "message": "Invalid API key"},
        {"status": "error", "message": ""},  # no words
        {"status": "error", "message": {"text": "x"}},
        {"7": {"status": "error"}, "8": {"message": "x"}},  # keyed by order IDs
        {"status": "error"},
    ]
    for answer in kept:
        assert error_said(answer) is answer, answer


def test_a_refill_status_of_error_with_words_stays_the_refills(tmp_path, monkeypatch):
    # refill_status's plain answer is a status alone: words beside an Error
    # may be the refill's own (it failed), never read as the call's refusal.
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": {**GOING, "status": "Completed", "remains": "0"}})
        replies["refill"] = json_reply({"refill": "77"})
        assert cli("track", "5").exit_code == 0
        assert cli("refill", "5").exit_code == 0
        replies["refill_status"] = json_reply({"status": "Error", "message": "Link changed"})
        run = cli("run", "--once", "--all")
    assert "Traceback" not in run.output
    assert ("auth_failed",) not in _rows(tmp_path, "SELECT kind FROM alerts")
    refills = _rows(tmp_path, "SELECT refill_id, status, error FROM refills")
    assert refills == [("77", "Failed", None)]  # the refill's Error, as before


def test_an_error_flag_is_said_in_the_words_beside_it():
    from tracker.panel.refusals import error_text

    for answer in FLAGGED:
        assert error_text(answer) == "Invalid API key", answer
    # No words beside, or a text of its own: as before.
    assert error_text({"error": True}) == "true"
    assert error_text({"error": "Incorrect order ID", "message": "x"}) == "Incorrect order ID"
    assert error_text({"error": True, "message": " "}) == "true"
    assert error_text({"error": False, "message": "Invalid API key"}) is None

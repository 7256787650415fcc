"""A multi-status call's refusal written under the request's own field,
``{"orders": {"error": "Incorrect API key"}}`` or ``{"orders": "Incorrect
API key"}``, as a script that answers under the name it was asked by writes
it: judged exactly as the same refusal unwrapped (a key refused ends in
auth_failed with the orders untouched; other words are the call's failure,
never an order's), while ``{"orders": {<ID>: ...}}`` and a drip-feed's
``{"orders": [...]}`` stay the answers they are. Through the real CLI and a
scripted panel on loopback."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest
from hostile import json_reply
from simconfig import scripted_panel

# "Service is under maintenance" is a busy panel's words: its calls are retried
# (retries = 3), 10 ms apart, not after 1-2 s doubling backoffs (~17 s a test).
pytestmark = pytest.mark.usefixtures("quick_backoff")

KEY = "hostile-key-Orders162Zq"
GOING = {"status": "In progress", "remains": "5", "charge": "0.5", "start_count": "10"}
WORDS = [
    "Incorrect API key",
    "Access for this account is suspended by the administrator",
    "Service is under maintenance",
]


def _rows(directory: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(directory / "t.db") as db:
        return list(db.execute(sql))


def status_refused(directory: Any, monkeypatch: Any, answer: Any) -> Any:
    """Track orders 7 and 8 and poll them once (In progress), then answer
    their status with ``answer`` (balance answered) and run `run --once`;
    return its exit code, what it printed, the alerts and the orders stored."""
    directory.mkdir()
    with scripted_panel(directory, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING})
        assert cli("track", "7").exit_code == 0
        assert cli("track", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        replies["status"] = json_reply(answer)
        run = cli("run", "--once", "--all")
    assert "Traceback" not in run.output
    alerts = _rows(directory, "SELECT kind, severity, message FROM alerts ORDER BY id")
    orders = _rows(directory, "SELECT order_id, status, remains, error FROM orders ORDER BY 1")
    said = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(?:\+00:00|Z)?", "T", run.stdout)  # times vary
    # Which jobs met the refusal before the pause varies (they run at once).
    said = re.sub(r"paused \(key refused\):.*", "paused (key refused)", said)
    return run.exit_code, said, alerts, orders


@pytest.mark.parametrize("wrapped", ["object", "string"])
@pytest.mark.parametrize("words", WORDS)
def test_a_refusal_under_orders_is_judged_as_the_plain_one(tmp_path, monkeypatch, words, wrapped):
    plain = status_refused(tmp_path / "plain", monkeypatch, {"error": words})
    inner = {"error": words} if wrapped == "object" else words
    under = status_refused(tmp_path / "under", monkeypatch, {"orders": inner})
    assert under == plain
    exit_code, said, alerts, orders = under
    assert exit_code != 0
    assert orders == [(7, "In progress", 5, None), (8, "In progress", 5, None)]
    assert "answered none" not in said
    if words == "Incorrect API key":
        assert [kind for kind, _, _ in alerts] == ["auth_failed"], alerts
        assert "paused (key refused)" in said


@pytest.mark.parametrize(
    "answer",
    [
        {"orders": {"7": {"status": "Completed", "remains": "0"}, "8": GOING}},
        {"orders": [{"order": 7, "status": "Completed", "remains": "0"}, {"order": 8, **GOING}]},
    ],
)
def test_an_answer_under_orders_is_still_read(tmp_path, monkeypatch, answer):
    exit_code, _, alerts, orders = status_refused(tmp_path / "read", monkeypatch, answer)
    assert exit_code == 0
    assert orders == [(7, "Completed", 0, None), (8, "In progress", 5, None)]
    assert "auth_failed" not in [kind for kind, _, _ in alerts]


def test_only_an_error_alone_under_orders_is_read_through():
    from tracker.panel.script_shapes import error_inside

    inner = {"error": "Incorrect API key"}
    assert error_inside("status", {"orders": inner}) == inner
    assert error_inside("status", {" Orders ": inner}) == inner
    assert error_inside("status", {"orders": "Incorrect API key"}) == "Incorrect API key"
    kept = [
        {"orders": {"7": {"status": "Completed"}}},  # keyed by an order's ID
        {"orders": {"error": "Incorrect order ID", "7": {"status": "Completed"}}},
        {"orders": {"error": "x", "status": "Completed"}},  # an order's own fields
        {"orders": [{"order": 7, "status": "Completed"}]},
        {"orders": []},  # a drip-feed's children, none yet
        {"orders": "Completed"},  # a status word: whose?
        {"orders": "12,13"},  # children IDs written as text
        {"orders": ""},
    ]
    for answer in kept:
        assert error_inside("status", answer) is answer, answer
    assert error_inside("balance", {"orders": "Incorrect API key"}) == {
        "orders": "Incorrect API key"
    }

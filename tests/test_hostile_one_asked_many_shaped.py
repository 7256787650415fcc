"""A call about one order or one refill (``order=``, ``refill=``) answered
in the shape of the call about many: keyed by the asked ID
(``{"77": {"status": "Completed"}}``) or a list of one item naming it
(``[{"refill": "77", "status": "Completed"}]``), as a PHP panel script
answers when it reads both fields into one list of IDs
(``explode(",", $_POST["refills"] ?? $_POST["refill"])``) and writes one
answer shape for both. Through the real CLI and a scripted panel on loopback.

A refill so answered was held open for ever: keyed, with "no refill status:
the answer has no status field" and every run green (its order's next
refill held back behind it); as a list, the refill job failed at every run.
An order left out of a multi answer, then so answered alone, was left
unsettled at every poll ("status answered without a status"). A refill
request (``refill`` with ``order=``) so answered, ``[{"order": 5, "refill":
55}]``, was stored Unknown: counted toward the cooldown, never followed.
A list of the one object (PDO's ``fetchAll()`` of the row asked,
``[{"status": "Completed"}]``) failed alike, at every poll. Such an answer
is now read as the call about many reads it, for the one ID asked: a status
for that ID is its status; anything else stays what it was (an answer about
another ID is no news of this one)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, scripted_panel
from test_hostile_answers import config

KEY = "hostile-key-OneAskedMany7Rq"
DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}


def _rows(tmp_path: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


def _follow_refill(tmp_path: Any, monkeypatch: Any, answer: Any) -> list[Any]:
    """Ask refill 77 of order 5, answer its refill_status with ``answer``,
    run twice; return the two runs."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply({"refill": "77"})
        replies["refill_status"] = json_reply(answer)
        assert cli("track", "5").exit_code == 0
        assert cli("refill", "5").exit_code == 0
        return [cli("run", "--once", "--all") for _ in range(2)]


@pytest.mark.parametrize(
    "answer",
    [
        {"77": {"status": "Completed"}},
        {"077": {"status": "Completed"}},
        [{"refill": "77", "status": "Completed"}],
        [{"refill": 77, "status": "Completed"}],
        [{"status": "Completed"}],
    ],
)
def test_a_refill_status_answered_in_the_many_shape_is_read(tmp_path, monkeypatch, answer):
    runs = _follow_refill(tmp_path, monkeypatch, answer)
    for run in runs:
        assert run.exit_code == 0, run.output
        assert "Traceback" not in run.output
    assert _rows(tmp_path, "SELECT refill_id, status, error FROM refills") == [
        ("77", "Completed", None)
    ]


@pytest.mark.parametrize(
    "answer",
    [{"78": {"status": "Completed"}}, [{"refill": "78", "status": "Completed"}]],
)
def test_a_refill_status_of_another_refill_in_the_many_shape_is_not_this_ones(
    tmp_path, monkeypatch, answer
):
    _follow_refill(tmp_path, monkeypatch, answer)
    [(status, _)] = _rows(tmp_path, "SELECT status, error FROM refills")
    assert status == "Pending"  # still followed, never another refill's Completed


def _poll_left_out(tmp_path: Any, monkeypatch: Any, alone: Any) -> Any:
    """Orders 123 and 124 tracked; the multi answer leaves 124 out, which,
    asked alone, is answered ``alone``. Return the run."""

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status" and "orders" in form:
            return json_reply({"123": {"status": "In progress", "remains": "3"}})
        if action == "status":
            return json_reply(alone)
        if action == "balance":
            return json_reply({"balance": "10", "currency": "USD"})
        return json_reply([])

    with HostileServer(respond) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", "123", "124").exit_code == 0
        run = cli("run", "--once", "--all")
    assert "Traceback" not in run.output
    return run


@pytest.mark.parametrize(
    "alone",
    [
        {"124": {"status": "Completed", "remains": "0"}},
        {"124": "Completed"},
        [{"order": 124, "status": "Completed", "remains": "0"}],
        [{"status": "Completed", "remains": "0"}],  # PDO's fetchAll() of the one row
    ],
)
def test_an_order_answered_alone_in_the_many_shape_is_read(tmp_path, monkeypatch, alone):
    run = _poll_left_out(tmp_path, monkeypatch, alone)
    assert run.exit_code == 0, run.output
    rows = _rows(tmp_path, "SELECT order_id, status, polling, error FROM orders ORDER BY 1")
    assert rows == [(123, "In progress", 1, None), (124, "Completed", 0, None)]


@pytest.mark.parametrize(
    "alone",
    [
        {"125": {"status": "Completed", "remains": "0"}},
        [{"order": 125, "status": "Completed"}],
        {"124": {"error": "Incorrect order ID"}},
    ],
)
def test_an_order_answered_alone_in_the_many_shape_with_no_status_of_its_own_stays(
    tmp_path, monkeypatch, alone
):
    # Another order's status, or an error in the item (no witness judged
    # it): the order stays as it was, polled, the poll said failed.
    run = _poll_left_out(tmp_path, monkeypatch, alone)
    assert run.exit_code == 1
    rows = _rows(tmp_path, "SELECT order_id, status, polling, error FROM orders ORDER BY 1")
    assert rows == [(123, "In progress", 1, None), (124, None, 1, None)]


def _ask_refill(tmp_path: Any, monkeypatch: Any, answer: Any) -> Any:
    """Ask a refill of order 5 (``refill`` with ``order=5``), answered
    ``answer``; return the command."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply(answer)
        assert cli("track", "5").exit_code == 0
        return cli("refill", "5")


@pytest.mark.parametrize(
    "answer",
    [
        [{"order": 5, "refill": 55}],
        [{"order": "5", "refill": "55"}],
        {"5": {"refill": 55}},
        {"5": {"order": 5, "refill": "55"}},
        [{"refill": 55}],
    ],
)
def test_a_refill_request_answered_in_the_many_shape_is_followed(tmp_path, monkeypatch, answer):
    # Was "Unknown" (no usable refill ID): counted toward the cooldown, never
    # followed, its outcome never learned.
    asked = _ask_refill(tmp_path, monkeypatch, answer)
    assert asked.exit_code == 0, asked.output
    assert "refill 55 requested for order 5" in asked.output
    assert _rows(tmp_path, "SELECT order_id, refill_id, status FROM refills") == [
        (5, "55", "Pending")
    ]


def test_a_refill_refused_in_the_many_shape_is_refused(tmp_path, monkeypatch):
    answer = [{"order": 5, "refill": {"error": "Refill is disabled for this service"}}]
    asked = _ask_refill(tmp_path, monkeypatch, answer)
    assert asked.exit_code == 1
    assert "the panel refused the refill: Refill is disabled for this service" in asked.output
    assert _rows(tmp_path, "SELECT status FROM refills") == [("Refused",)]


@pytest.mark.parametrize(
    "answer",
    [
        [{"order": 6, "refill": 55}],
        {"6": {"refill": 55}},
        [{"order": 5, "refill": 55}, {"order": 6, "refill": 55}],
        [{"order": 5, "refill": {"error": "SQLSTATE[HY000] [2002] Connection refused"}}],
        {"5": {"refill": {"error": "Too many requests"}}},
        {"5": {"refill": {"error": "Invalid API key"}}},
    ],
)
def test_a_refill_request_answered_in_the_many_shape_for_no_one_order_is_unknown(
    tmp_path, monkeypatch, answer
):
    # Another order's refill, one refill ID given to two orders, the panel's
    # server failing: the refill may exist, whose it is cannot be told.
    asked = _ask_refill(tmp_path, monkeypatch, answer)
    assert asked.exit_code == 1
    assert "may have reached the panel" in asked.output, asked.output
    assert _rows(tmp_path, "SELECT refill_id, status FROM refills") == [(None, "Unknown")]

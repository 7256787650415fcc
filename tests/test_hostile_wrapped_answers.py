"""The other calls' answers wrapped in one key, as the scripts that wrap a
status answer (``{"data": ...}``, ``{"result": ...}``) write them all,
through the real CLI and a scripted panel on loopback: refill, refill_status,
cancel, a single status, balance, services and add failed ("no usable
refill ID", "expected a list for services", "outcome unknown"). They are
read through when the one key could be no order's ID and no field of the
action's plain answer, and holds that answer's shape; a top-level error
inside speaks for the call."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import add_panel, cli_in, scripted_panel, tracked_ids
from test_hostile_answers import config

KEY = "hostile-key-Wrapped152Zq"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
UNKNOWN = "outcome unknown — check the panel before placing it again"
DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}


def _rows(tmp_path: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


@pytest.mark.parametrize(
    "answer",
    [
        {"data": {"refill": 55}},
        {"result": {"refill": "55"}},
        {"data": [{"order": 5, "refill": 55}]},
        {"data": {"5": {"refill": 55}}},
    ],
)
def test_a_wrapped_refill_request_is_followed(tmp_path, monkeypatch, answer):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply(answer)
        assert cli("track", "5").exit_code == 0
        asked = cli("refill", "5")
    assert asked.exit_code == 0, asked.output
    assert "refill 55 requested for order 5" in asked.output
    assert _rows(tmp_path, "SELECT order_id, refill_id, status FROM refills") == [
        (5, "55", "Pending")
    ]


def test_a_wrapped_refill_refusal_is_the_panels_refusal(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply({"data": {"error": "Refill is disabled for this service"}})
        assert cli("track", "5").exit_code == 0
        asked = cli("refill", "5")
    assert asked.exit_code == 1
    assert "Refill is disabled for this service" in asked.output
    assert _rows(tmp_path, "SELECT status FROM refills") == [("Refused",)]


@pytest.mark.parametrize(
    "answer",
    [
        {"data": {"status": "Completed"}},
        {"data": [{"refill": "77", "status": "Completed"}]},
        {"result": {"77": {"status": "Completed"}}},
    ],
)
def test_a_wrapped_refill_status_is_read(tmp_path, monkeypatch, answer):
    for run in _follow_refill(tmp_path, monkeypatch, answer):
        assert run.exit_code == 0, run.output
    assert _rows(tmp_path, "SELECT refill_id, status, error FROM refills") == [
        ("77", "Completed", None)
    ]


@pytest.mark.parametrize(
    "answer", [{"R78": {"status": "Completed"}}, {"error": {"status": "Completed"}}]
)
def test_a_key_that_could_be_another_refills_id_is_no_wrapper(tmp_path, monkeypatch, answer):
    # Refill IDs are texts: "R78" may be another refill's, never read as 77's.
    _follow_refill(tmp_path, monkeypatch, answer)
    [(status, _)] = _rows(tmp_path, "SELECT status, error FROM refills")
    assert status == "Pending"


def _follow_refill(tmp_path: Any, monkeypatch: Any, answer: Any) -> list[Any]:
    """Ask refill 77 of order 5, answer its refill_status with ``answer``,
    run twice; return the runs."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply({"refill": "77"})
        replies["refill_status"] = json_reply(answer)
        assert cli("track", "5").exit_code == 0
        assert cli("refill", "5").exit_code == 0
        runs = [cli("run", "--once", "--all") for _ in range(2)]
    for run in runs:
        assert "Traceback" not in run.output
    return runs


@pytest.mark.parametrize(
    "answer",
    [{"data": [{"order": 7, "cancel": 1}]}, {"data": {"7": {"cancel": 1}}}],
)
def test_a_wrapped_cancel_is_read(tmp_path, monkeypatch, answer):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": {"status": "In progress", "remains": "5"}})
        replies["cancel"] = json_reply(answer)
        assert cli("track", "7").exit_code == 0
        result = cli("cancel", "--yes", "--force", "7")
    assert result.exit_code == 0, result.output
    assert _rows(tmp_path, "SELECT order_id, result, error FROM cancels") == [(7, "Accepted", None)]


@pytest.mark.parametrize(
    "alone",
    [
        {"data": {"status": "Completed", "remains": "0"}},
        {"result": [{"order": 124, "status": "Completed", "remains": "0"}]},
    ],
)
def test_a_wrapped_single_status_is_read(tmp_path, monkeypatch, alone):
    # Order 124 left out of the multi answer, then asked alone (order=124).
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "status" and "orders" in form:
            return json_reply({"123": {"status": "In progress", "remains": "3"}})
        if form.get("action") == "status":
            return json_reply(alone)
        if form.get("action") == "balance":
            return json_reply({"balance": "10", "currency": "USD"})
        return json_reply([])

    with HostileServer(respond) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", "123", "124").exit_code == 0
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    rows = _rows(tmp_path, "SELECT order_id, status, polling, error FROM orders ORDER BY 1")
    assert rows == [(123, "In progress", 1, None), (124, "Completed", 0, None)]


@pytest.mark.parametrize(
    "answer",
    [{"data": {"balance": "12.5", "currency": "USD"}}, {"result": {"balance": 12.5}}],
)
def test_a_wrapped_balance_is_read(tmp_path, monkeypatch, answer):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["balance"] = json_reply(answer)
        assert cli("run", "--once").exit_code == 0
        shown = cli("balance")
    assert shown.exit_code == 0, shown.output
    assert "12.5" in shown.stdout


def test_a_wrapped_services_list_is_read(tmp_path, monkeypatch):
    listed = [{"service": 1, "name": "Likes", "type": "Default", "rate": "0.50", "min": 10}]
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["services"] = json_reply({"data": listed})
        shown = cli("services", "--refresh", "--json")
    assert shown.exit_code == 0, shown.output
    [row] = json.loads(shown.stdout)
    assert row["service"] == 1 and row["name"] == "Likes"


@pytest.mark.parametrize(
    "answer", [{"data": {"order": 77}}, {"result": {"order": "77"}}, {"data": [{"order": 77}]}]
)
def test_a_wrapped_add_is_that_order(tmp_path, monkeypatch, answer):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply(answer))
        result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "77"
    assert tracked_ids(tmp_path) == [77]


@pytest.mark.parametrize(
    "answer",
    [
        {"data": [{"order": 77}, {"order": 78}]},
        {"data": {"order": 77, "error": "Not enough funds"}},
        {"data": {"order": "x77"}},
        {"data": {"orders": [77]}},
        {"77": {"order": 77}},  # its key could be an order's ID
    ],
)
def test_a_wrapped_add_with_no_one_usable_id_stays_outcome_unknown(tmp_path, monkeypatch, answer):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply(answer))
        result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert UNKNOWN in result.stderr
    assert json.dumps(answer)[:12] in result.stderr  # the whole answer said
    assert tracked_ids(tmp_path) == []


def test_a_wrapped_add_refusal_is_the_panels_refusal(tmp_path, monkeypatch):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply({"data": {"error": "Not enough funds"}}))
        result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert "Not enough funds" in result.stderr and UNKNOWN not in result.stderr
    assert tracked_ids(tmp_path) == []

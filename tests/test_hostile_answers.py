"""Answers that look readable but are not what they seem, end to end.

A hostile panel on loopback (:mod:`hostile`) answers status calls with one
order's news filed under another order's key, or the same order twice,
differently; the CLI's ``run --once`` must then leave the orders it cannot
tell apart untouched (asked again alone), never give one order another's
terminal status.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in

KEY = "hostile-answers-Key-4Tq8Wd"


def config(url: str) -> str:
    return f"""
[database]
path = "t.db"
[[panels]]
name = "main"
url = "{url}"
key_env = "HOSTILE_KEY"
timeout = "30s"
retries = 0
[refill]
enabled = false
"""


class Panel:
    """A scripted panel: ``multi`` answers ``orders=``, ``single`` each ``order=``."""

    def __init__(self, multi: Any, single: dict[str, Any]):
        self.multi, self.single = multi, single

    def __call__(self, form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status" and "orders" in form:
            return json_reply(self.multi)
        if action == "status":
            return json_reply(self.single[form["order"]])
        if action == "balance":
            return json_reply({"balance": "10", "currency": "USD"})
        if action == "services":
            return json_reply([])
        return json_reply({"error": "Incorrect request"})


def statuses(home: Path) -> dict[int, tuple[Any, ...]]:
    db = sqlite3.connect(home / "t.db")
    try:
        rows = db.execute("SELECT order_id, status, remains, polling, error FROM orders")
        return {row[0]: row[1:] for row in rows}
    finally:
        db.close()


def run_against(tmp_path: Path, monkeypatch: Any, panel: Panel, ids: list[str]) -> Any:
    with HostileServer(panel) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", *ids).exit_code == 0
        result = cli("run", "--once", "--all")
    assert "Traceback" not in result.output
    return result, server


def test_an_answer_filed_under_another_orders_key_is_neither_orders(tmp_path, monkeypatch):
    # Order 2's Canceled filed under key "1" (and 1's news under "2"): read as
    # it stood, order 1 was marked Canceled and never polled again.
    misfiled = {
        "1": {"order": 2, "status": "Canceled", "remains": "100", "charge": "0"},
        "2": {"order": 1, "status": "In progress", "remains": "40"},
        "3": {"order": 3, "status": "Pending"},
    }
    single = {
        "1": {"order": 1, "status": "In progress", "remains": "40"},
        "2": {"order": 2, "status": "Canceled", "remains": "100", "charge": "0"},
    }
    result, server = run_against(tmp_path, monkeypatch, Panel(misfiled, single), ["1", "2", "3"])
    assert result.exit_code == 0, result.output
    rows = statuses(tmp_path)
    assert rows[1] == ("In progress", 40, 1, None)  # its own answer, asked alone
    assert rows[2] == ("Canceled", 100, 0, None)
    assert rows[3][0] == "Pending"
    asked_alone = sorted(form["order"] for form in server.requests if "order" in form)
    assert asked_alone == ["1", "2"]


def test_a_single_answer_naming_another_order_is_not_this_orders(tmp_path, monkeypatch):
    # Left out of the multi answer, order 1 is asked alone, and the panel
    # answers order 2's Completed: it stays as it was, polled, the run fails.
    multi = {"2": {"order": 2, "status": "In progress"}}
    single = {"1": {"order": 2, "status": "Completed", "remains": "0"}}
    result, _ = run_against(tmp_path, monkeypatch, Panel(multi, single), ["1", "2"])
    rows = statuses(tmp_path)
    assert rows[1] == (None, None, 1, None)
    assert result.exit_code == 1
    assert "answered order 2 when asked for order 1" in result.output


def test_an_order_answered_twice_differently_is_asked_alone(tmp_path, monkeypatch):
    twice = [
        {"order": 1, "status": "Completed", "remains": "0"},
        {"order": 1, "status": "Pending"},
        {"order": 2, "status": "Pending"},
    ]
    single = {"1": {"status": "Pending"}}
    result, server = run_against(tmp_path, monkeypatch, Panel(twice, single), ["1", "2"])
    assert result.exit_code == 0, result.output
    assert statuses(tmp_path)[1][:2] == ("Pending", None)
    assert [form.get("order") for form in server.requests if "order" in form] == ["1"]


def test_the_same_answer_twice_is_read(tmp_path, monkeypatch):
    same = [{"order": 1, "status": "Completed"}, {"order": "1", "status": "completed"}]
    _, server = run_against(tmp_path, monkeypatch, Panel(same, {}), ["1"])
    assert statuses(tmp_path)[1][0] == "Completed"
    assert not [form for form in server.requests if "order" in form]


def test_a_bare_status_word_as_an_item_is_the_orders_status(tmp_path, monkeypatch):
    # {"1": "Completed"}: read as the error "Completed", the order was held
    # back for a day at a time and, after three days, given up as lost.
    bare = {"1": "Completed", "2": "cancelled", "3": "Incorrect order ID", "4": "Error"}
    bare["5"] = {"status": "In progress"}  # the panel answers status calls
    ids = ["1", "2", "3", "4", "5"]
    result, _ = run_against(tmp_path, monkeypatch, Panel(bare, {}), ids)
    assert result.exit_code == 0, result.output
    rows = statuses(tmp_path)
    assert rows[1] == ("Completed", None, 0, None)
    assert rows[2] == ("Canceled", None, 0, None)
    assert rows[3] == (None, None, 1, "Incorrect order ID")  # words: still an error
    assert rows[4] == (None, None, 1, "Error")  # Error/Fail: not safely a status


def test_orders_beside_a_refused_key_are_left_as_they_were(tmp_path, monkeypatch):
    # {"1": {"status": "Canceled"}, ..., "error": "Invalid API key"}: the
    # items were read and every order stored Canceled, no longer polled.
    refused = {str(i): {"status": "Canceled", "remains": "100", "charge": "0"} for i in (1, 2)}
    refused["error"] = "Invalid API key"
    single = {str(i): {"error": "Invalid API key"} for i in (1, 2)}
    result, _ = run_against(tmp_path, monkeypatch, Panel(refused, single), ["1", "2"])
    assert result.exit_code == 1
    assert "Invalid API key" in result.output
    assert statuses(tmp_path) == {1: (None, None, 1, None), 2: (None, None, 1, None)}


def test_a_bare_json_string_for_a_whole_answer_is_said(tmp_path, monkeypatch):
    # A status call answered "Your account is suspended" as a JSON string
    # (plain text said its words) read "expected an object or list for
    # status, got str": the panel's words were nowhere to be seen. Then
    # "got str: 'Your account is suspended'", the panel failing every poll;
    # now the panel's words, as {"error": ...}: the key refused, the panel paused.
    words = "Your account is suspended"
    result, _ = run_against(tmp_path, monkeypatch, Panel(words, {"1": words}), ["1"])
    assert result.exit_code == 1
    assert f"status: {words}" in result.output and "paused (key refused)" in result.output
    assert "got str" not in result.output
    assert statuses(tmp_path) == {1: (None, None, 1, None)}  # still tracked, no error of its own


def test_a_bare_json_string_for_a_cancel_is_said(tmp_path, monkeypatch):
    def panel(form: dict[str, str]) -> Reply:
        if form.get("action") == "cancel":
            return json_reply("Cancel is disabled for this API user")
        return json_reply({"error": "Incorrect request"})

    with HostileServer(panel) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", "7").exit_code == 0
        result = cli("cancel", "--yes", "--force", "7")
    assert result.exit_code == 1
    assert "got str: 'Cancel is disabled for this API user'" in result.output

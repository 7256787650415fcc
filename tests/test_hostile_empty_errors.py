"""An ``error`` field that holds no error, beside the answer: an empty list
or object (PHP's ``json_encode(["error" => $errors])`` with no errors
collected), blank text, or PHP's own text for false and null ("0",
"false", "null": a falsy value cast to a string). Through the real CLI and
a scripted panel on loopback.

Only null, "" and false were read as no error: ``{"status": "Completed",
"remains": "0", "error": []}`` was the order's error "[]", its status never
read, and at every poll it counted toward ``unknown_give_up``, after which
the order was given up as lost while the panel said Completed at each
call; ``add`` answered ``{"order": 23501, "error": []}`` was an unknown
outcome for a placed order, ``balance`` failed. Such a field is now no
error; one with words in it is the panel's error, as ever."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, json_reply
from simconfig import add_panel, cli_in, scripted_panel
from test_hostile_answers import config

KEY = "hostile-key-EmptyErrors2Jp"
NO_ERROR = [[], {}, "0", "false", "null", "  ", "NULL", "False"]


def _rows(tmp_path: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


@pytest.mark.parametrize("empty", NO_ERROR)
def test_a_status_beside_an_empty_error_is_the_orders_status(tmp_path, monkeypatch, empty):
    def respond(form: dict[str, str]) -> Any:
        if form.get("action") == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            done = {"status": "Completed", "remains": "0", "error": empty}
            if "order" in form:
                return json_reply(done)
            return json_reply({i: done if i == "5" else {"status": "Pending"} for i in ids})
        if form.get("action") == "services":
            return json_reply([])
        return json_reply({"balance": "10", "currency": "USD", "error": empty})

    with HostileServer(respond) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", "5", "6").exit_code == 0
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert "balance 10.00 USD" in run.output
    sql = "SELECT order_id, status, polling, error, unknown_since FROM orders ORDER BY 1"
    assert _rows(tmp_path, sql) == [(5, "Completed", 0, None, None), (6, "Pending", 1, None, None)]


@pytest.mark.parametrize("empty", NO_ERROR[:4])
def test_an_order_id_beside_an_empty_error_is_placed(tmp_path, monkeypatch, empty):
    with add_panel(tmp_path, monkeypatch, KEY) as (_, set_reply, cli):
        set_reply(json_reply({"order": 23501, "error": empty}))
        added = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "23501"


@pytest.mark.parametrize("empty", NO_ERROR[:3])
def test_a_refill_id_beside_an_empty_error_is_followed(tmp_path, monkeypatch, empty):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"5": {"status": "Completed", "remains": "0"}})
        replies["refill"] = json_reply({"refill": "77", "error": empty})
        assert cli("track", "5").exit_code == 0
        asked = cli("refill", "5")
    assert asked.exit_code == 0, asked.output
    assert _rows(tmp_path, "SELECT refill_id, status FROM refills") == [("77", "Pending")]


@pytest.mark.parametrize("words", ["Incorrect order ID", ["Incorrect order ID"], "0 orders found"])
def test_an_error_with_words_is_still_the_orders_error(tmp_path, monkeypatch, words):
    def respond(form: dict[str, str]) -> Any:
        if form.get("action") == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            return json_reply(
                {i: {"error": words} if i == "5" else {"status": "Pending"} for i in ids}
            )
        return json_reply({"balance": "10", "currency": "USD"})

    with HostileServer(respond) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"HOSTILE_KEY": KEY})
        assert cli("track", "5", "6").exit_code == 0
        cli("run", "--once", "--all")
    [(status, error)] = _rows(tmp_path, "SELECT status, error FROM orders WHERE order_id = 5")
    assert status is None and error and "order" in error

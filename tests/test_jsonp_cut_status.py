"""A JSONP answer cut short (``cb({"7": {"status": "Pend``, ``cb({"error":
"Incorrect order``) to ``status``, after good answers, through the real
CLI and a scripted panel on loopback: the call's failure, every call or
order 7's asked alone (``order=7``), never order 7's news. An error cut
so with a 200 or a 403 was read as the panel's words: stored as order
7's error asked alone, or said as every order refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from envelope_kit import GOING
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-JsonpCut182Zq"
UNTOUCHED = [(7, "In progress", 1, None), (8, "In progress", 1, None)]
JS = {"Content-Type": "text/javascript"}


def _orders(directory: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(directory / "t.db") as db:
        return list(db.execute("SELECT order_id, status, polling, error FROM orders ORDER BY 1"))


@pytest.mark.parametrize("alone", [False, True], ids=["multi", "alone"])
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'cb({"7": {"status": "Pend', 200),
        (b'cb({"status": "Pend', 200),
        (b'cb({"error": "Incorrect order', 200),
        (b'cb({"error": "Incorrect order', 403),
    ],
    ids=["item", "one-order", "error", "error-403"],
)
def test_a_jsonp_answer_cut_short_is_the_calls_failure(tmp_path, monkeypatch, body, code, alone):
    cut = [False]

    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") in ("balance", "services"):
            return json_reply({"balance": "5"} if form["action"] == "balance" else [])
        if form.get("action") != "status":
            return json_reply({"error": "Incorrect request"})
        if not cut[0] or (alone and "orders" in form):
            return json_reply({"8": GOING} if cut[0] else {"7": GOING, "8": GOING})
        return Reply(body, code, JS)

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        assert cli("track", "7", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0  # good answers first
        cut[0] = True
        run = cli("run", "--once", "--all")
    assert "Traceback" not in run.output
    assert run.exit_code != 0 and "1 failed status call" in run.stdout
    assert _orders(tmp_path) == UNTOUCHED  # never order 7's error, nor its status
    assert "refused for every order" not in run.output

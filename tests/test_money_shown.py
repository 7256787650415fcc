"""Money as the user reads it, through the real CLI against a scripted panel
on loopback: a float a panel computed (0.1 + 0.2 sent as 0.30000000000000004)
is stored and shown as 0.3, and every charge is shown to the cent at least,
never cut to six digits (12345.67 read "12345.7") nor as an exponent.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-Money0dd42"


def panel(answer: dict[str, Any], balance: Any) -> Any:
    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status":
            return json_reply({i: answer[i] for i in form["orders"].split(",")})
        if action == "balance":
            return json_reply({"balance": balance, "currency": "USD"})
        if action == "services":
            return json_reply([])
        return json_reply({"error": "Incorrect request"})

    return respond


def test_a_float_a_panel_computed_is_read_as_the_amount_it_meant(tmp_path, monkeypatch):
    # PHP's json_encode(0.1 + 0.2): 0.30000000000000004, a charge and a balance.
    answer = {
        "1": {"status": "Completed", "remains": 0, "charge": 0.1 + 0.2, "currency": "USD"},
        "2": {"status": "Completed", "remains": 0, "charge": 0.08011655652, "currency": "USD"},
    }
    with HostileServer(panel(answer, 0.1 + 0.2)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", *answer).exit_code == 0
        assert cli("run", "--once").exit_code == 0
        listed = json.loads(cli("orders", "--json").output)
        table = cli("orders").output
        balance = cli("balance").output
        balance_json = json.loads(cli("balance", "--json").output)
    assert {o["order_id"]: o["charge"] for o in listed} == {1: 0.3, 2: 0.08011655652}
    assert "0.30000000000000004" not in table + balance
    assert balance.startswith("sim: 0.30 USD")
    assert balance_json["panels"][0]["balance"] == 0.3
    with sqlite3.connect(tmp_path / "t.db") as db:
        assert db.execute("SELECT balance FROM balances").fetchall() == [(0.3,)]

"""A negative charge in a status answer (`"charge": "-1.5"`): dropped on
purpose (a cost below 0 would be subtracted from spend), the charge stored
before kept; now said once per order (`charge_negative_dropped`, the order
and what the panel sent), at debug when an earlier run told it.

Before, it was dropped without a word: the order's charge simply stopped
following the panel's. Through the real CLI against a scripted panel."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-Negative15"


def _panel(charges: dict[str, Any]):
    """A panel answering orders 5 and 6 In progress with ``charges[ID]``."""

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action != "status":
            return json_reply({"balance": "10", "currency": "USD"} if action == "balance" else [])
        asked = form.get("orders", form.get("order", "")).split(",")
        items = {i: {"status": "In progress", "remains": "10", "charge": charges[i]} for i in asked}
        return Reply(json.dumps(items).encode(), 200)

    return respond


def _charges(tmp_path) -> list[tuple[int, float | None]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute("SELECT order_id, charge FROM orders ORDER BY order_id"))


def test_a_negative_charge_is_said_once_per_order_and_the_stored_one_kept(tmp_path, monkeypatch):
    charges = {"5": "0.90", "6": "2"}
    with HostileServer(_panel(charges)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "5", "6").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        charges.update({"5": "-1.5", "6": -3})
        runs = [cli("--log-level", "debug", "run", "--once", "--all") for _ in range(2)]
    assert [run.exit_code for run in runs] == [0, 0], runs[0].output
    said = [[ln for ln in r.stderr.splitlines() if "charge_negative_dropped" in ln] for r in runs]
    assert len(said[0]) == 2 and all("warning" in line for line in said[0])
    assert any("order=5" in line and "charge=-1.5" in line for line in said[0])
    assert any("order=6" in line and "charge=-3" in line for line in said[0])
    # An earlier run told it: the next run says it at debug (cron mails it no more).
    assert len(said[1]) == 2 and all("debug" in line for line in said[1])
    assert _charges(tmp_path) == [(5, 0.9), (6, 2.0)]  # kept, as before

"""A balance of a tiny positive number (``{"balance": "1e-20"}``: a panel
script printing a float's leftovers after spending it all) is a zero
balance: stored and shown as 0, its low-balance alert raised.

Before, it was below the smallest amount the tracker reads (1e-18) and so
no number at all: the balance job failed ("balance answered without a
number") and the user, whose money was gone, had no low-balance alert."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import HostileServer, json_reply
from simconfig import cli_in, sim_config


@pytest.mark.parametrize("tiny", ["1e-20", 1e-20, "-1e-20", "0.00000000000000000001"])
def test_a_tiny_balance_is_a_zero_balance_and_alerted_low(tmp_path, monkeypatch, tiny):
    replies = {"balance": json_reply({"balance": tiny, "currency": "USD"})}
    with HostileServer(lambda form: replies.get(form["action"], json_reply([]))) as server:
        config = sim_config(server.url, panel="balance_low = 1")
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": "sim-key-Tiny78"})
        ran = cli("run", "--once", "--all")
        shown = cli("balance")
    assert shown.exit_code == 0, shown.output
    assert "0.00 USD" in shown.output
    assert ran.exit_code == 0, ran.output
    assert "balance_failed" not in ran.stderr and "absurd_number" not in ran.stderr
    with sqlite3.connect(tmp_path / "t.db") as db:
        stored = list(db.execute("SELECT balance, currency FROM balances"))
        alerts = [kind for (kind,) in db.execute("SELECT kind FROM alerts")]
    assert stored[-1] == (0.0, "USD")
    assert "balance_low" in alerts

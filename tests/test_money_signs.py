"""A balance or a charge written for people, its currency's sign or code beside
the number ("$1,234.50", "1 234,50 ₽", "12.00 USD"), as some panel scripts
send them: read as the amount, through the real CLI against a scripted panel.

Before, such a balance was "balance answered without a number" at every check
(no balance ever stored, no `balance_low`), and such a charge was no charge
(the order's spend missing from `report`)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest
from hostile import HostileServer, json_reply
from simconfig import cli_in, sim_config

from tracker.panel import parse, parse_account

KEY = "hostile-key-MoneySigns9"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("$1,234.50", "1234.50"),
        ("1,234.50 USD", "1234.50"),
        ("USD 1,234.50", "1234.50"),
        ("1 234,50 ₽", "1234.50"),
        ("€12,50", "12.50"),
        ("12.50$", "12.50"),
        ("1.234,50 €", "1234.50"),
        ("12.00USD", "12.00"),
        ("-$5.00", "-5.00"),
        ("$-5.00", "-5.00"),
    ],
)
def test_a_balance_with_its_currency_sign_is_stored_and_shown(tmp_path, monkeypatch, text, amount):
    def respond(form: dict[str, str]):
        if form.get("action") == "balance":
            return json_reply({"balance": text, "currency": "USD"})
        return json_reply([])

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel="retries = 1")
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        run = cli("run", "--once")
        shown = cli("balance", "--json")
    assert run.exit_code == 0, run.output
    assert "without a number" not in run.output
    assert f"balance {amount} USD" in run.output
    panel = json.loads(shown.stdout)["panels"][0]
    assert (Decimal(panel["balance"]), panel["currency"]) == (Decimal(amount), "USD")


def test_a_charge_with_its_currency_sign_is_stored_and_counted_in_report(tmp_path, monkeypatch):
    def respond(form: dict[str, str]):
        action = form.get("action")
        if action == "status":
            item = {"status": "Completed", "remains": "0", "charge": "$0.90", "currency": "USD"}
            return json_reply({"7": item, "8": dict(item, charge="1 234,50 ₽", currency="RUB")})
        return json_reply({"balance": "10", "currency": "USD"} if action == "balance" else [])

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel="retries = 1")
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        assert cli("track", "7", "8", "--service", "1").exit_code == 0
        assert cli("run", "--once").exit_code == 0
        report = cli("report", "--json")
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT order_id, charge, currency FROM orders ORDER BY 1").fetchall()
    assert rows == [(7, 0.9, "USD"), (8, 1234.5, "RUB")]
    assert "1234.5" in report.stdout and "0.9" in report.stdout


@pytest.mark.parametrize(
    "text", ["$", "USD", "-$-5", "(12.00)", "12 usd", "$ $5", "1,2,3 USD", "1 USD 2"]
)
def test_a_sign_or_code_alone_or_around_no_amount_is_still_no_number(text):
    with pytest.raises(parse.BadAnswerError, match="without a number"):
        parse_account.parse_balance({"balance": text, "currency": "USD"})
    assert parse.parse_order_status(1, {"status": "Completed", "charge": text}).charge is None

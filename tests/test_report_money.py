"""`report`'s SPEND as `orders` shows the charges it adds up (money63).

Panels charge fractions of a cent per order: three orders charged 0.477 each
read 0.477 in `orders`, and 1.43 in `report` and on the dashboard, where a
user adding up `orders` gets 1.431. The spend is the exact sum of the stored
charges now, written as `orders` writes a charge (to the cent at least, every
decimal it has), in the table, in --json and on the dashboard alike.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_dashboard_cards import card, connect, orders_db

from tracker.cli.dashboard import build_metadata
from tracker.cli.main import main


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _canned(db: Path, name: str) -> list[tuple]:
    sql = build_metadata("t", {})["databases"]["t"]["queries"][name]["sql"]
    conn = connect(db)
    try:
        return conn.execute(sql, {"days": "30"}).fetchall()
    finally:
        conn.close()


def _db(tmp_path: Path, charges: list[float], currency: str = "USD") -> Path:
    return orders_db(
        tmp_path / "t.db", [("p", i, charge, currency) for i, charge in enumerate(charges, 1)]
    )


def test_report_adds_up_what_orders_shows_to_the_last_decimal(tmp_path):
    db = _db(tmp_path, [0.477, 0.477, 0.477])
    listed = json.loads(_run("orders", "--database", str(db), "--json"))
    shown = [o["charge"] for o in listed]
    assert shown == [0.477] * 3
    table = _run("report", "--database", str(db))
    assert "1.431" in table and "1.43 " not in table, table
    [service] = json.loads(_run("report", "--database", str(db), "--json"))["services"]
    assert service["spend"] == 1.431
    assert service["spend_by_currency"] == [{"currency": "USD", "spend": 1.431}]
    assert Decimal(str(service["spend"])) == sum(Decimal(str(c)) for c in shown)


def test_a_sum_a_float_gets_wrong_is_exact(tmp_path):
    # 0.1 + 0.2 as floats is 0.30000000000000004; ten orders of 0.1, 0.9999999999999999.
    db = _db(tmp_path, [0.1] * 10 + [0.00005])
    [service] = json.loads(_run("report", "--database", str(db), "--json"))["services"]
    assert service["spend"] == 1.00005
    assert "1.00005" in _run("report", "--database", str(db))


def test_each_currency_is_added_up_exactly_apart(tmp_path):
    db = orders_db(
        tmp_path / "t.db",
        [("p", 1, 0.477, "USD"), ("p", 2, 0.477, "USD"), ("p", 3, 35.125, "RUB")],
    )
    [service] = json.loads(_run("report", "--database", str(db), "--json"))["services"]
    assert service["spend_by_currency"] == [
        {"currency": "RUB", "spend": 35.125},
        {"currency": "USD", "spend": 0.954},
    ]
    assert "35.125 RUB, 0.954 USD" in _run("report", "--database", str(db))


@pytest.mark.parametrize(
    ("charges", "shown"),
    [([0.477, 0.477, 0.477], "1.431"), ([21.0], "21.00"), ([0.075], "0.075"), ([0.1] * 3, "0.30")],
)
def test_the_dashboard_writes_the_spend_as_report_does(tmp_path, charges, shown):
    db = _db(tmp_path, charges)
    assert f"{shown} USD" in _run("report", "--database", str(db))
    assert card(db, "overview", "spend-30d") == [{"spend": f"{shown}\xa0USD"}]
    [row] = card(db, "services", "scorecard")
    assert row["Spend"] == f"{shown}\xa0USD"
    assert [(r[4], r[5]) for r in _canned(db, "spend_by_service")] == [(shown, "USD")]


def test_the_dashboard_writes_each_currency_as_report_does(tmp_path):
    db = orders_db(
        tmp_path / "t.db",
        [("p", 1, 0.477, "USD"), ("p", 2, 0.477, "USD"), ("p", 3, 35.125, "RUB")],
    )
    [row] = card(db, "services", "scorecard")
    assert row["Spend"] == "35.125\xa0RUB<br>0.954\xa0USD"
    assert card(db, "overview", "spend-30d") == [{"spend": "35.125\xa0RUB<br>0.954\xa0USD"}]

"""`history ID` of an order whose status change has a charge but whose
charge now is no figure (infinity 0.1.0 stored, text or bytes a hand edit
left): `orders` shows its CHARGE as "-" and `report` counts it unknown,
but `history` showed the change's 2.50 alone, read as what the order
costs. It says the charge now is "-" under the table, as `orders` does."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_dashboard_cards import orders_db

from tracker.cli.main import main
from tracker.clock import utcnow

# order ID -> its charge now, as stored; each status change charged 2.50 USD
NOW = {1: float("inf"), 2: "abc", 3: b"\x00", 4: 2.5}
UNKNOWN_NOW = (
    "charge now - (2.50 USD at its last status change; the order's charge stored now is "
    "no figure: orders shows -, report counts it as unknown)"
)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "t.db"
    orders_db(path, [("p", oid, charge, "USD") for oid, charge in NOW.items()])  # type: ignore[misc]
    conn = sqlite3.connect(path)
    with conn:
        for oid in NOW:
            conn.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains, "
                "charge, raw_status, currency) VALUES "
                "('p', ?, ?, 'Pending', 'Completed', 0, 2.5, 'Completed', 'USD')",
                [oid, (utcnow() - timedelta(minutes=30)).isoformat()],
            )
    conn.close()
    return path


def _cli(database: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--database", str(database)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("oid", [1, 2, 3])
def test_history_says_the_charge_now_unknown_as_orders_shows_it(database, oid):
    (row,) = [line for line in _cli(database, "orders").splitlines() if line.split()[1] == str(oid)]
    assert row.split()[5] == "-"  # orders' CHARGE
    shown = _cli(database, "history", str(oid)).splitlines()
    assert shown[2].split()[-2:] == ["2.50", "USD"]  # the status change's charge, as stored
    assert UNKNOWN_NOW in shown, shown  # was: nothing said, 2.50 read as the charge
    told = json.loads(_cli(database, "history", str(oid), "--json"))
    assert told["order"]["charge"] is None and told["transitions"][0]["charge"] == 2.5


def test_a_known_charge_now_the_same_as_the_change_says_nothing(database):
    assert not any(
        line.startswith("charge now") for line in _cli(database, "history", "4").splitlines()
    )

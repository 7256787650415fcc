"""The read commands over money no one can pay: charges and balances 0.1.0
stored as infinity (a panel's "1e400"), a NaN (SQLite keeps it as NULL) and
a huge finite figure, written with sqlite3 directly. Nothing says "inf",
"Infinity" or "nan" as a figure, nothing ends in a traceback: `history`
wrote an infinite status change's charge "Infinity" (CUR beside it), and
`balance` wrote an infinite check "Infinity", its runway "spending inf
USD/day", and ended in a traceback when the last check was one."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_dashboard_cards import orders_db

from tracker.cli.main import main
from tracker.clock import utcnow

INF = float("inf")
CHARGES = {1: 2.5, 2: INF, 3: -INF, 4: float("nan"), 5: 1e300}
# A figure written as no number: Python's and SQLite's spellings, JSON's.
NOT_A_FIGURE = re.compile(r"\b-?inf(inity)?\b|\bnan\b", re.I)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("money") / "t.db"
    orders_db(path, [("p", oid, charge, "USD") for oid, charge in CHARGES.items()])
    now = utcnow()
    conn = sqlite3.connect(path)
    with conn:
        for oid, charge in CHARGES.items():
            conn.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains, "
                "charge, raw_status, currency) VALUES "
                "('p', ?, ?, 'Pending', 'Completed', 0, ?, 'Completed', 'USD')",
                [oid, (now - timedelta(minutes=30)).isoformat(), charge],
            )
        checks = [100.0, INF, 90.0, 1e300, 80.0, -INF]  # the last one stored: infinity
        for hours, balance in zip(range(len(checks), 0, -1), checks, strict=True):
            conn.execute(
                "INSERT INTO balances VALUES ('p', ?, ?, 'USD')",
                [(now - timedelta(hours=hours)).isoformat(), balance],
            )
    conn.close()
    return path


COMMANDS = [
    ["orders"],
    ["orders", "--json"],
    *[["history", str(oid)] for oid in CHARGES],
    *[["history", str(oid), "--json"] for oid in CHARGES],
    ["report"],
    ["report", "--json"],
    ["balance"],
    ["balance", "--json"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_no_infinite_or_nan_figure_and_no_traceback(database, args):
    result = CliRunner().invoke(main, [*args, "--database", str(database)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert not NOT_A_FIGURE.search(result.stdout), result.stdout
    if "--json" in args:
        json.loads(result.stdout)  # valid JSON: no Infinity, no NaN


def test_history_shows_no_charge_and_no_currency_for_an_infinite_one(database):
    result = CliRunner().invoke(main, ["history", "2", "--database", str(database)])
    [row] = [line for line in result.stdout.splitlines() if "Completed" in line][-1:]
    assert row.split()[-2:] == ["-", "-"]  # CHARGE and CUR, as for no charge


def test_balance_leaves_an_infinite_check_out_and_names_it(database):
    result = CliRunner().invoke(main, ["balance", "--database", str(database)])
    assert "p: 80.00 USD" in result.stdout  # the last finite check
    said = result.stderr.splitlines()
    assert len(said) == 2 and all("holds" in line and "left out" in line for line in said)
    assert "minus infinity" in result.stderr  # said in words

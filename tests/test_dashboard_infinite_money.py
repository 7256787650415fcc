"""The dashboard's order pages show no infinite money: a charge 0.1.0 stored
as infinity (a panel's "1e400"), or text "inf" or "NaN" written by hand, is
an empty cell on the Orders, Status changes and Order overview pages and in
the order_history canned query, as `orders` and `history` show no charge
there (they read "Infinity"); exact_total() adds up the finite charges
alone (it gave "Infinity" or "NaN")."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from dashboard_pages import page
from test_dashboard_no_service import query

from tracker.cli.datasette_money import ExactTotal, money_text
from tracker.clock import utcnow
from tracker.store.orders import Store

INF = float("inf")


def _database(path: Path) -> Path:
    """Orders 1-4 of panel main: charged 0.278 USD, infinity, minus
    infinity, and text "inf"; each with one status change of that charge."""
    store = Store(path)
    now = utcnow()
    store.track("main", [1, 2, 3, 4], now - timedelta(hours=1))
    store.close()
    conn = sqlite3.connect(path)
    with conn:
        for order_id, charge in ((1, 0.278), (2, INF), (3, -INF), (4, "inf")):
            conn.execute(
                "UPDATE orders SET charge = ?, currency = 'USD' WHERE order_id = ?",
                [charge, order_id],
            )
            conn.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains, "
                "charge, raw_status, currency) VALUES "
                "('main', ?, ?, 'Pending', 'Completed', 0, ?, 'Completed', 'USD')",
                [order_id, now.isoformat(timespec="seconds"), charge],
            )
    conn.close()
    return path


def _rows(tmp_path: Path, table: str) -> str:
    """The rows of a table or view page, as the dashboard serves it."""
    db = tmp_path / "t.db"
    if not db.exists():
        _database(db)
    return page(db, table).split("<tbody>")[-1]


@pytest.mark.parametrize("table", ["orders", "transitions", "order_overview"])
def test_an_order_page_shows_no_infinite_charge(tmp_path, table):
    rows = _rows(tmp_path, table)
    assert "0.278" in rows  # the finite charge, as the CLI writes it
    cells = re.findall(r'<td class="col-charge[^"]*"[^>]*>(.*?)</td>', rows, re.S)
    assert len(cells) == 4, rows
    assert not [c for c in cells if re.search(r"inf|nan", c, re.I)], cells


def test_an_orders_history_query_shows_no_infinite_charge_nor_its_currency(tmp_path):
    db = _database(tmp_path / "t.db")
    shown = {
        order_id: [
            (r["charge"], r["currency"])
            for r in query(db, "order_history", order_id=str(order_id), panel="")
        ]
        for order_id in (1, 2, 3, 4)
    }
    assert shown == {
        1: [("0.278", "USD")],
        2: [(None, None)],  # was ("Infinity", "USD")
        3: [(None, None)],
        4: [(None, None)],  # was ("NaN", "USD")
    }


def test_exact_total_adds_up_the_finite_amounts_alone():
    total = ExactTotal()
    for value in (0.477, INF, 0.477, -INF, "NaN", "abc", b"\x00\x01", None, 2):
        total.step(value)
    assert total.finalize() == "2.954"  # was "NaN"; without the text, "Infinity"
    assert money_text(INF) is None and money_text(-INF) is None  # was "Infinity"
    assert money_text("abc") is None and money_text(b"\x00") is None  # was "NaN"
    assert money_text(1e300) == "1e+300"  # huge, finite: a figure

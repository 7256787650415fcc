"""order_overview's ``charge`` is NULL where the stored one is no finite
number (m049): infinity (0.1.0 kept a panel's "1e400" as a REAL inf), or
text or bytes a hand edit left. The view, and so the dashboard's order
pages, showed "Infinity" where `orders` shows no charge. orders keeps what
it holds; the views reading order_overview still read it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database
from test_dashboard_cards import orders_db
from test_views_infinite_charge import _columns, _schema

from tracker.store.migrations import migrations
from tracker.store.orders import Store

M049 = "m049_overview_finite_charge"
INF = float("inf")
ORDERS = [
    ("p", 1, 2.5, "USD"),
    ("p", 2, INF, "USD"),
    ("p", 3, -INF, "USD"),
    ("p", 4, 1e300, "USD"),  # huge, finite: a figure
    ("p", 5, None, "USD"),
    ("p", 6, 0.000002, "BTC"),
]
HAND_EDITS = {7: "NaN", 8: b"\x00\x01", 9: "lots"}  # orders.charge, written by hand


def _with_hand_edits(path: Path) -> Path:
    orders_db(path, ORDERS + [("p", oid, 1.0, "USD") for oid in HAND_EDITS])
    conn = sqlite3.connect(path)
    with conn:
        for oid, value in HAND_EDITS.items():
            conn.execute("UPDATE orders SET charge = ? WHERE order_id = ?", (value, oid))
    conn.close()
    return path


def _charges(path: Path, table: str) -> dict[int, object]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute(f"SELECT order_id, charge FROM {table}").fetchall())
    finally:
        conn.close()


def test_order_overview_shows_no_charge_that_is_no_finite_number(tmp_path):
    path = _with_hand_edits(tmp_path / "t.db")
    assert _charges(path, "order_overview") == {
        1: 2.5,
        2: None,  # was inf
        3: None,  # was -inf
        4: 1e300,
        5: None,
        6: 0.000002,
        7: None,  # was 'NaN'
        8: None,  # was b'\x00\x01'
        9: None,  # was 'lots'
    }
    stored = _charges(path, "orders")
    assert stored[2] == INF and stored[8] == b"\x00\x01"  # the file keeps what it holds
    conn = sqlite3.connect(path)
    try:  # the views reading order_overview read it still
        assert conn.execute("SELECT count(*) FROM order_overview").fetchone() == (9,)
        for view in ("service_scorecard", "daily_activity", "stuck_orders"):
            conn.execute(f"SELECT * FROM {view}").fetchall()
        counted = conn.execute("SELECT orders FROM service_scorecard").fetchall()
    finally:
        conn.close()
    assert counted == [(9,)]  # every order still counts


def test_a_database_before_m049_migrates_to_the_fresh_schema_same_columns(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before=M049)  # the schema the release before this one left
    db.close()
    before = _columns(path)
    Store(path).close()  # opening it applies m049
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()

    assert _schema(path) == _schema(fresh)
    assert _columns(path) == before  # names, order and types: the views' public interface

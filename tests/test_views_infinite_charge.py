"""A charge stored as infinity (0.1.0 kept a panel's "1e400" as a REAL inf) is
no charge in the service_scorecard and daily_activity views (m048), as
`orders` and `report` read it: the views, and so the dashboard, added it
("Infinity" spend). The order still counts; the other charges add up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database
from test_dashboard_cards import card, orders_db
from test_views_currency_case import spend_by_service, view

from tracker.store.migrations import migrations
from tracker.store.orders import Store

M048 = "m048_views_infinite_charge"
INF = float("inf")
ORDERS = [("p", 1, 10.0, "USD"), ("p", 2, INF, "USD"), ("q", 3, -INF, "EUR")]


def test_the_views_leave_a_charge_stored_as_infinity_out_of_spend(tmp_path):
    db = orders_db(tmp_path / "t.db", ORDERS)
    scorecard = view(db, "service_scorecard")
    assert scorecard == [
        ("p", 10.0, "USD", [{"currency": "USD", "spend": 10.0}]),  # was inf
        ("q", 0.0, "EUR", []),  # was -inf: nothing known charged
    ]
    assert view(db, "daily_activity") == scorecard
    conn = sqlite3.connect(db)
    counted = conn.execute("SELECT panel, orders FROM service_scorecard ORDER BY 1").fetchall()
    conn.close()
    assert counted == [("p", 2), ("q", 1)]  # the orders still count
    outcomes = card(db, "services", "outcomes")
    assert {r["spend"] for r in outcomes} == {0.0, 10.0}  # the dashboard read inf


def _schema(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()


def _columns(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {
            name: [(r[1], r[2]) for r in conn.execute(f"PRAGMA table_info({name})")]
            for name in ("order_overview", "service_scorecard", "daily_activity", "stuck_orders")
        }
    finally:
        conn.close()


def test_a_database_before_m048_migrates_to_the_fresh_schema_same_columns(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before=M048)  # the schema the release before this one left
    db.close()
    before = _columns(path)
    Store(path).close()  # opening it applies m048
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()

    assert _schema(path) == _schema(fresh)
    assert _columns(path) == before  # names and types: the views' public interface
    conn = sqlite3.connect(path)
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM daily_activity")]
    conn.close()
    # The orders still counted per day in the order of the index, and only it.
    assert "SCAN orders USING COVERING INDEX orders_created_day" in plan, plan


def test_the_dashboards_cards_leave_a_charge_stored_as_infinity_out_of_spend(tmp_path):
    # The cards that add the orders' charges themselves (exact_total), not
    # from a view: the Overview's Spend read "Infinity USD", as did the
    # Services scorecard's; as in `report`, the other charges add up.
    db = orders_db(tmp_path / "t.db", ORDERS)
    assert card(db, "overview", "spend-30d") == [{"spend": "10.00\xa0USD"}]
    spends = [r["Spend"] for r in card(db, "services", "scorecard")]
    assert not any("Infinity" in str(s) for s in spends), spends
    assert any("10.00" in str(s) for s in spends), spends
    assert spend_by_service(db) == [
        ("q", 1, "0.00", "EUR"),
        ("p", 2, "10.00", "USD"),
    ]

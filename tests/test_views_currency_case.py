"""The views and the dashboard take a currency written in two cases or with
blanks ("USD", "usd", " usd") as one currency (m042), as `report` and the
alerts do (tracker/rules/money.py). Before, the service_scorecard and
daily_activity views, and so the dashboard, listed "10.00 USD" and "2.30
usd" as two currencies: a service's or a day's spend and currency NULL, the
Overview's Spend card "10.00 USD<br>2.30 usd"."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database
from test_dashboard_cards import card, connect, orders_db, panel_of
from test_scorecard_currency import report

from tracker.cli.dashboard import build_metadata
from tracker.clock import iso, utcnow
from tracker.store.migrations import migrations
from tracker.store.orders import Store

M042 = "m042_views_currency_case"
# (panel, service, order_id, charge, currency), each Completed an hour
# after it was first seen, yesterday morning: one day in daily_activity.
ORDERS = [
    ("a", 1, 1, 10.0, "USD"),
    ("a", 1, 2, 2.3, "usd"),  # the panel's script wrote it in lower case for a while
    ("a", 1, 3, 4.0, "EUR"),  # the panel changed currency: two figures
    ("b", 2, 4, 0.5, "usd"),
    ("b", 2, 5, 0.25, " usd"),  # never written in capitals: named as its largest part
    ("c", 3, 6, 20.0, "rub"),
    ("c", 3, 7, 0.477, "Rub"),
]


def insert_orders(path: Path) -> None:
    """Write ORDERS with plain SQL, into a database of any schema since m010."""
    # Yesterday at 06:00, never "two hours ago": run between 00:00 and 02:00
    # UTC, that spanned midnight and daily_activity gained a completion day.
    first = (utcnow() - timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    done = iso(first + timedelta(hours=1))
    conn = sqlite3.connect(path)
    with conn:
        for panel, service, order_id, charge, currency in ORDERS:
            conn.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, status, remains, "
                "charge, currency, created_at, updated_at, completed_at, last_change_at, "
                "polling) VALUES (?, ?, ?, 100, 'Completed', 0, ?, ?, ?, ?, ?, ?, 0)",
                [panel, order_id, service, charge, currency, iso(first), done, done, done],
            )
    conn.close()


def current_db(tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    Store(path).close()
    insert_orders(path)
    return path


def view(path: Path, name: str) -> list[tuple]:
    """(panel, spend, currency, spend_by_currency) of each row of a view."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(f"SELECT * FROM {name}").fetchall()
    finally:
        conn.close()
    return [
        (r["panel"], r["spend"], r["currency"], json.loads(r["spend_by_currency"])) for r in rows
    ]


# The same figures in either view: one service per panel, one day.
EXPECTED = [
    ("c", 20.477, "rub", [{"currency": "rub", "spend": 20.477}]),
    ("a", None, None, [{"currency": "USD", "spend": 12.3}, {"currency": "EUR", "spend": 4.0}]),
    ("b", 0.75, "usd", [{"currency": "usd", "spend": 0.75}]),
]


def test_the_scorecard_view_gives_one_figure_for_a_currency_written_in_two_cases(tmp_path):
    assert view(current_db(tmp_path), "service_scorecard") == EXPECTED  # highest spend first


def test_daily_activity_gives_one_figure_for_a_currency_written_in_two_cases(tmp_path):
    assert view(current_db(tmp_path), "daily_activity") == sorted(EXPECTED)  # by panel


def test_report_and_the_view_name_the_same_figures(tmp_path):
    path = current_db(tmp_path)
    services = json.loads(report(path, "--json"))["services"]
    got = [(r["panel"], r["spend"], r["currency"], r["spend_by_currency"]) for r in services]
    assert got == view(path, "service_scorecard")


def test_the_dashboard_shows_one_figure_for_a_currency_written_in_two_cases(tmp_path):
    db = orders_db(
        tmp_path / "t.db",
        [("p", 1, 10.0, "USD"), ("p", 2, 2.3, "usd"), ("p", 3, 0.5, " USD"), ("q", 4, 4.0, "EUR")],
    )
    assert card(db, "overview", "spend-30d") == [{"spend": "12.80\xa0USD<br>4.00\xa0EUR"}]
    rows = card(db, "services", "scorecard")
    # A currency at a time, A to Z, as `report` ranks them (rules/money.py).
    assert [(panel_of(r), r["Spend"]) for r in rows] == [
        ("q", "4.00\xa0EUR"),
        ("p", "12.80\xa0USD"),  # it read "10.00 USD<br>2.30 usd<br>0.50  USD"
    ]
    outcomes = card(db, "services", "outcomes")
    assert {r["spend"] for r in outcomes if r["service"].startswith("p ")} == {12.8}
    assert spend_by_service(db) == [
        ("q", 1, "4.00", "EUR"),
        ("p", 3, "12.80", "USD"),  # it had a row for "usd" and one for " USD"
    ]


def test_a_database_before_m042_migrates_and_keeps_reading_its_orders_by_index(tmp_path):
    path = tmp_path / "t.db"
    db = Database(path)
    migrations.apply(db, stop_before=M042)  # the schema the release before this one left
    db.close()
    insert_orders(path)
    before = view(path, "service_scorecard")
    assert before[-1][:3] == ("b", None, None)  # "usd" and " usd": two currencies

    Store(path).close()  # opening it applies m042

    assert view(path, "service_scorecard") == EXPECTED
    assert view(path, "daily_activity") == sorted(EXPECTED)
    conn = sqlite3.connect(path)
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM daily_activity")]
    conn.close()
    # The orders still counted per day in the order of the index, and only it.
    assert "SCAN orders USING COVERING INDEX orders_created_day" in plan, plan


def spend_by_service(db: Path) -> list[tuple[object, ...]]:
    """The dashboard's spend_by_service query over the last 30 days: each row's
    service, orders, spend and currency."""
    sql = build_metadata("t", {})["databases"]["t"]["queries"]["spend_by_service"]["sql"]
    conn = connect(db)
    try:
        rows = conn.execute(sql, {"days": "30"}).fetchall()
    finally:
        conn.close()
    return [(r[0], r[3], r[4], r[5]) for r in rows]

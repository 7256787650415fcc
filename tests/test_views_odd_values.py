"""Odd stored values never break the service_scorecard and daily_activity
views (m050), nor the dashboard pages and cards reading them: a currency a
hand edit stored as bytes is unknown, as `report` reads it (every read
ended "JSON cannot hold BLOB values"); a spend beyond what a REAL holds is
NULL, as order_overview's charge that is no finite number (m049): a CSV
export wrote "inf", the JSON figures an "Inf" no JSON reader takes; a
charge stored as bytes is no charge in daily_activity either. The orders
keep what they hold."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from dashboard_pages import page
from sqlite_utils import Database
from test_dashboard_cards import card
from test_views_currency_case import view
from test_views_infinite_charge import _columns, _schema

from tracker.clock import iso, utcnow
from tracker.store.migrations import migrations
from tracker.store.orders import Store

M050 = "m050_views_odd_stored_values"


def _db(path: Path, orders: list[tuple[str, int, object, object]]) -> Path:
    """A database holding ``(panel, order_id, charge, currency)`` orders, each
    stored as given (bytes too), first seen yesterday at 06:00 and Completed
    an hour later: one day in daily_activity, whatever the hour now."""
    Store(path).close()
    first = (utcnow() - timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    done = iso(first + timedelta(hours=1))
    conn = sqlite3.connect(path)
    with conn:
        for panel, order_id, charge, currency in orders:
            conn.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, status, remains, "
                "charge, currency, created_at, updated_at, completed_at, last_change_at, "
                "polling) VALUES (?, ?, 1, 100, 'Completed', 0, ?, ?, ?, ?, ?, ?, 0)",
                [panel, order_id, charge, currency, iso(first), done, done, done],
            )
    conn.close()
    return path


BYTES_CURRENCY = [("p", 1, 10.0, "USD"), ("q", 2, 1.5, b"EUR")]  # b"EUR": a hand edit


def test_the_views_read_a_currency_stored_as_bytes_as_unknown(tmp_path):
    path = _db(tmp_path / "t.db", BYTES_CURRENCY)
    expected = [
        ("p", 10.0, "USD", [{"currency": "USD", "spend": 10.0}]),
        ("q", 1.5, None, [{"currency": None, "spend": 1.5}]),  # as `report` reads it
    ]
    assert view(path, "service_scorecard") == expected  # was "JSON cannot hold BLOB values"
    assert view(path, "daily_activity") == expected
    conn = sqlite3.connect(path)
    kept = conn.execute("SELECT currency FROM orders WHERE order_id = 2").fetchone()
    conn.close()
    assert kept == (b"EUR",)  # the file keeps what it holds


@pytest.mark.parametrize(
    ("board", "chart"),
    [("overview", "daily"), ("services", "outcomes"), ("services", "completion")],
)
def test_the_dashboards_cards_over_the_views_read_a_currency_stored_as_bytes(
    tmp_path, board, chart
):
    path = _db(tmp_path / "t.db", BYTES_CURRENCY)
    rows = card(path, board, chart)  # each ended "JSON cannot hold BLOB values"
    assert rows


@pytest.mark.parametrize("view_name", ["service_scorecard", "daily_activity"])
def test_the_view_pages_and_their_csv_read_a_currency_stored_as_bytes(tmp_path, view_name):
    path = _db(tmp_path / "t.db", BYTES_CURRENCY)
    assert "10.00" in page(path, view_name)  # the page: was an error
    rows = list(csv.DictReader(io.StringIO(page(path, f"{view_name}.csv"))))
    assert sorted((r["panel"], r["spend"], r["currency"]) for r in rows) == [
        ("p", "10.0", "USD"),
        ("q", "1.5", ""),
    ]


# Two charges whose sum is beyond a REAL (a panel's huge figures, an older
# row's); a charge stored as the bytes of "1e400" (a hand edit).
BEYOND = [("b", 1, 1e308, "USD"), ("b", 2, 1e308, "USD"), ("c", 3, 2.0, "USD")]


def test_a_spend_beyond_what_a_real_holds_is_null_never_infinity(tmp_path):
    path = _db(tmp_path / "t.db", [*BEYOND, ("d", 4, b"1e400", "USD")])
    expected = [
        ("c", 2.0, "USD", [{"currency": "USD", "spend": 2.0}]),
        ("d", 0.0, "USD", []),  # bytes: no charge
        ("b", None, "USD", [{"currency": "USD", "spend": None}]),  # was inf, JSON "Inf"
    ]
    assert view(path, "service_scorecard") == expected  # view() reads the JSON
    assert sorted(view(path, "daily_activity")) == sorted(expected)
    for view_name in ("service_scorecard", "daily_activity"):
        exported = page(path, f"{view_name}.csv")
        assert "inf" not in exported.lower(), exported  # a spreadsheet imported "inf"


def test_a_database_before_m050_migrates_to_the_fresh_schema_same_columns(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before=M050)  # the schema the release before this one left
    db.close()
    before = _columns(path)
    Store(path).close()  # opening it applies m050
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()

    assert _schema(path) == _schema(fresh)
    assert _columns(path) == before  # names, order and types: the views' public interface
    conn = sqlite3.connect(path)
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM daily_activity")]
    conn.close()
    # The orders still counted per day in the order of the index, and only it.
    assert "SCAN orders USING COVERING INDEX orders_created_day" in plan, plan

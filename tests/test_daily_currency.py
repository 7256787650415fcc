"""daily_activity's spend per currency (m020): a panel whose orders of one day
were charged in USD and EUR (it changed currency) read 16.30 for 12.30 USD
and 4.00 EUR, with no currency at all, as the scorecard did before m019."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from tracker.clock import iso, utcnow
from tracker.store.migrations import migrations
from tracker.store.orders import Store

M020 = "m020_daily_activity_spend_per_currency"
NOW = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
D1, D2, D3 = (NOW - timedelta(days=n) for n in (4, 3, 2))
# (panel, order_id, charge, currency, first seen, polling) of orders Completed
# a day after they were first seen, but D3's (still In progress).
ORDERS = [
    ("a", 1, 10.0, "USD", D1, 0),
    ("a", 2, 2.3, "USD", D1, 1),  # still polled: counted apart, one USD figure
    ("a", 3, 4.0, "EUR", D1, 0),  # the panel changed currency: 12.30 USD, 4.00 EUR
    ("a", 4, 0.0, "EUR", D2, 0),  # charged nothing: no figure of its own
    ("a", 5, 5.0, "USD", D2, 0),
    ("b", 6, 3.0, "USD", D1, 0),
    ("b", 7, 1.5, None, D1, 0),  # the panel did not say: never added to USD
    ("b", 8, 0.0, "EUR", D2, 0),  # nothing charged that day
    ("b", 9, None, None, D3, 1),  # never charged
]
# Every column the view had before m020: users' queries name them.
M010_COLUMNS = ["day", "panel", "orders", "completed", "spend", "refills_asked"]
USD, EUR, NONE = ({"currency": c} for c in ("USD", "EUR", None))
# (day, panel, orders, completed, spend, currency, spend_by_currency), oldest first.
EXPECTED = [
    (D1, "a", 3, 0, None, None, [{**USD, "spend": 12.3}, {**EUR, "spend": 4.0}]),
    (D1, "b", 2, 0, None, None, [{**USD, "spend": 3.0}, {**NONE, "spend": 1.5}]),
    (D2, "a", 2, 3, 5.0, "USD", [{**USD, "spend": 5.0}]),
    (D2, "b", 1, 2, 0.0, "EUR", []),
    (D3, "a", 0, 2, 0.0, None, []),
    (D3, "b", 1, 1, 0.0, None, []),
]


def day(at: datetime) -> str:
    return at.date().isoformat()


def insert_orders(conn: sqlite3.Connection) -> None:
    """Write ORDERS into a database of any schema since m010, with plain SQL."""
    with conn:
        for panel, order_id, charge, currency, first, polling in ORDERS:
            done = first + timedelta(days=1) if first != D3 else None
            conn.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, status, remains, "
                "charge, currency, created_at, updated_at, completed_at, last_change_at, "
                "polling) VALUES (?, ?, 1, 100, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
                [
                    panel,
                    order_id,
                    "Completed" if done else "In progress",
                    charge,
                    currency,
                    iso(first),
                    iso(done or first),
                    iso(done) if done else None,
                    iso(done or first),
                    polling,
                ],
            )


def daily_rows(path: Path) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM daily_activity")]
    finally:
        conn.close()


def test_the_view_gives_one_figure_per_currency_never_a_sum(tmp_path):
    path = tmp_path / "t.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    insert_orders(conn)
    conn.close()
    rows = daily_rows(path)
    assert list(rows[0]) == [*M010_COLUMNS, "currency", "spend_by_currency"]
    got = [
        (
            r["day"],
            r["panel"],
            r["orders"],
            r["completed"],
            r["spend"],
            r["currency"],
            json.loads(r["spend_by_currency"]),
        )
        for r in rows
    ]
    assert got == [(day(e[0]), *e[1:]) for e in EXPECTED]


def test_a_database_before_m020_migrates_and_keeps_its_data(tmp_path):
    path = tmp_path / "t.db"
    db = Database(path)
    migrations.apply(db, stop_before=M020)  # the schema the release before this one left
    db.close()
    conn = sqlite3.connect(path)
    insert_orders(conn)
    before = conn.execute("SELECT * FROM orders ORDER BY panel, order_id").fetchall()
    conn.close()
    old = daily_rows(path)
    assert (old[0]["panel"], old[0]["spend"]) == ("a", 16.3)  # the sum across currencies

    Store(path).close()  # opening it applies m020

    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert names.count(M020) == 1  # applied once (later migrations may follow)
    assert conn.execute("SELECT * FROM orders ORDER BY panel, order_id").fetchall() == before
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM daily_activity")]
    conn.close()
    # The orders' part still read per day in the order of an index (m017), the
    # currency now in it, and only it: no sort of every order, no table read.
    assert "SCAN orders USING COVERING INDEX orders_created_day" in plan, plan
    new = daily_rows(path)
    # The same rows and columns, currency and spend_by_currency added; spend
    # differs only where a day's charges were in several currencies.
    assert [(r["day"], r["panel"]) for r in new] == [(r["day"], r["panel"]) for r in old]
    for was, now in zip(old, new, strict=True):
        several = len(json.loads(now["spend_by_currency"])) > 1
        same = [c for c in M010_COLUMNS if c != "spend" or not several]
        assert {c: now[c] for c in same} == {c: was[c] for c in same}, was
        if several:
            assert now["spend"] is None

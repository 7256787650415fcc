"""The scorecard's spend per currency (m019): a service whose orders were
charged in USD and EUR (the panel changed currency) read "16.30 USD" for
12.30 USD and 4.00 EUR, in the service_scorecard view and in `report`."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database

from tracker.cli.main import main
from tracker.clock import iso, utcnow
from tracker.store.migrations import migrations
from tracker.store.orders import Store

M019 = "m019_scorecard_spend_per_currency"
# (service, order_id, charge, currency) of panel "p", each Completed an hour
# after it was first seen, two hours ago.
ORDERS = [
    (1, 1, 10.0, "USD"),
    (1, 2, 2.3, "USD"),
    (1, 3, 4.0, "EUR"),  # the panel changed currency: 12.30 USD and 4.00 EUR
    (2, 4, 5.0, "USD"),
    (3, 5, 1.0, "USD"),
    (3, 6, 0.0, None),  # charged nothing: no figure of its own
    (4, 7, 3.0, "USD"),
    (4, 8, 1.5, None),  # the panel did not say the currency: never added to USD
    (5, 9, None, None),  # never charged
]
# Every column the view had before m019: users' queries name them.
M010_COLUMNS = [
    "panel",
    "service",
    "service_name",
    "orders",
    "open",
    "completed",
    "partial",
    "canceled",
    "refunded",
    "share_completed",
    "share_partial",
    "share_canceled",
    "share_refunded",
    "median_completion_seconds",
    "p90_completion_seconds",
    "refills_asked",
    "refills_accepted",
    "refills_completed",
    "share_refilled",
    "spend",
    "currency",
]
# (service, spend, currency, spend_by_currency), in the view's order: highest
# spend first, a service charged in several currencies by its largest figure.
EXPECTED = [
    (1, None, None, [{"currency": "USD", "spend": 12.3}, {"currency": "EUR", "spend": 4.0}]),
    (2, 5.0, "USD", [{"currency": "USD", "spend": 5.0}]),
    (4, None, None, [{"currency": "USD", "spend": 3.0}, {"currency": None, "spend": 1.5}]),
    (3, 1.0, "USD", [{"currency": "USD", "spend": 1.0}]),
    (5, 0.0, None, []),
]


def insert_orders(conn: sqlite3.Connection) -> None:
    """Write ORDERS into a database of any schema since m010, with plain SQL."""
    first = utcnow().replace(microsecond=0) - timedelta(hours=2)
    done = first + timedelta(hours=1)
    with conn:
        for service, order_id, charge, currency in ORDERS:
            conn.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, status, remains, "
                "charge, currency, created_at, updated_at, completed_at, last_change_at, "
                "polling) VALUES ('p', ?, ?, 100, 'Completed', 0, ?, ?, ?, ?, ?, ?, 0)",
                [order_id, service, charge, currency, iso(first), iso(done), iso(done), iso(done)],
            )


def scorecard_rows(path: Path) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM service_scorecard")]
    finally:
        conn.close()


def current_db(tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    insert_orders(conn)
    conn.close()
    return path


def test_the_view_gives_one_figure_per_currency_never_a_sum(tmp_path):
    rows = scorecard_rows(current_db(tmp_path))
    got = [
        (r["service"], r["spend"], r["currency"], json.loads(r["spend_by_currency"])) for r in rows
    ]
    assert got == EXPECTED
    assert list(rows[0]) == [*M010_COLUMNS, "spend_by_currency"]
    # One row per service still: its orders and how they ended, all currencies.
    assert [(r["orders"], r["completed"]) for r in rows] == [(3, 3), (1, 1), (2, 2), (2, 2), (1, 1)]


def report(path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["report", "--database", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_report_shows_each_currency_in_the_table_and_json(tmp_path):
    path = current_db(tmp_path)
    lines = report(path).splitlines()[2:]
    assert [line.split()[1] for line in lines] == ["1", "2", "4", "3", "5"]
    assert lines[0].endswith(" 12.30 USD, 4.00 EUR"), lines[0]
    assert lines[1].endswith(" 5.00 USD") and lines[3].endswith(" 1.00 USD")
    assert lines[2].endswith(" 3.00 USD, 1.50"), lines[2]  # no currency said: none shown
    services = json.loads(report(path, "--json"))["services"]
    assert [list(r) for r in services] == [[*M010_COLUMNS, "spend_by_currency"]] * 5
    got = [(r["service"], r["spend"], r["currency"], r["spend_by_currency"]) for r in services]
    assert got == EXPECTED


def test_a_database_before_m019_migrates_and_keeps_its_data(tmp_path):
    path = tmp_path / "t.db"
    db = Database(path)
    migrations.apply(db, stop_before=M019)  # the schema the release before this one left
    db.close()
    conn = sqlite3.connect(path)
    insert_orders(conn)
    before = conn.execute("SELECT * FROM orders ORDER BY order_id").fetchall()
    conn.close()
    old = scorecard_rows(path)
    assert old[0]["service"] == 1 and old[0]["spend"] == 16.3  # the sum across currencies

    Store(path).close()  # opening it applies m019

    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert names.count(M019) == 1  # applied once (later migrations may follow)
    assert conn.execute("SELECT * FROM orders ORDER BY order_id").fetchall() == before
    conn.close()
    new = scorecard_rows(path)
    # The same rows and columns, spend_by_currency added; spend and currency
    # differ only where the charges were in several currencies.
    by_service = {r["service"]: r for r in new}
    assert sorted(by_service) == sorted(r["service"] for r in old)
    for was in old:
        now = by_service[was["service"]]
        several = len(json.loads(now["spend_by_currency"])) > 1
        same = M010_COLUMNS[:-2] if several else M010_COLUMNS
        assert {c: now[c] for c in same} == {c: was[c] for c in same}, was["service"]
    assert [r["service"] for r in new] == [e[0] for e in EXPECTED]

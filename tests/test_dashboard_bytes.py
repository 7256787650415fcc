"""The dashboard's pages over values a hand edit stored as bytes: a view's
cell of bytes (a currency, a status) is written as Datasette writes bytes,
without the link to a download its row cannot give (a view's row has no
rowid: the whole page failed, "No item with that key"); a row whose panel
is bytes shows its order ID with no link (the plugin's link ended the page
in an error). The file keeps what it holds."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from dashboard_pages import page as dashboard_page

from tracker.clock import iso, utcnow
from tracker.store.orders import Store


def _database(path: Path) -> Path:
    """Orders 1-3 of panel main, In progress for 30 hours (stuck), charged
    1.0 USD, each with a rejected refill and a status change."""
    store = Store(path)
    now = utcnow()
    store.track("main", [1, 2, 3], now - timedelta(hours=30))
    with store.write() as db:
        db.execute(
            "UPDATE orders SET charge = 1.0, currency = 'USD', status = 'In progress', "
            "raw_status = 'In progress', remains = 5, quantity = 10"
        )
        for order_id in (1, 2, 3):
            db.execute(
                "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, "
                "updated_at) VALUES ('main', ?, NULL, ?, 'Rejected', ?)",
                [order_id, iso(now), iso(now)],
            )
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status, "
                "remains, charge, raw_status, currency) VALUES "
                "('main', ?, ?, 'Pending', 'In progress', 5, 1.0, 'In progress', 'USD')",
                [order_id, iso(now)],
            )
    store.close()
    return path


@pytest.mark.parametrize(
    ("column", "view"), [("currency", "order_overview"), ("status", "stuck_orders")]
)
def test_a_views_page_shows_a_cell_of_bytes_without_a_download_link(tmp_path, column, view):
    path = _database(tmp_path / "t.db")
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE orders SET {column} = CAST({column} AS BLOB) WHERE order_id = 2")
    conn.close()
    rows = dashboard_page(path, view).split("<tbody>")[-1]  # was a 500: "No item with that key"
    assert "&lt;Binary: " in rows and "blob-download" not in rows, rows


@pytest.mark.parametrize(
    ("table", "page"),
    [
        ("orders", "orders"),
        ("transitions", "transitions"),
        ("refills", "refills"),
        ("orders", "order_overview"),
    ],
)
def test_a_page_of_rows_whose_panel_is_bytes_shows_their_order_ids(tmp_path, table, page):
    path = _database(tmp_path / "t.db")
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE {table} SET panel = CAST(panel AS BLOB) WHERE order_id = 2")
    conn.close()
    rows = dashboard_page(path, page).split("<tbody>")[-1]  # was a 500 (the plugin's link)
    assert 'href="/t/orders/main,1"' in rows  # the others still link to their order

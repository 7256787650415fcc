"""A panel's text that is a whole URL is shown as text on the dashboard, never a link.

Datasette draws any cell whose whole text is an ``http(s)://`` URL as a link:
a panel answering a status, an error or a currency of
``https://evil.example/login`` put a link of its choosing on the user's own
dashboard, one click from a phishing page. The tracker's plugin
(tracker/cli/datasette_links.py) shows such a cell as its text: table pages,
row pages and SQL queries alike. Its own links (an order's page) stay.
"""

from __future__ import annotations

import html
import sqlite3
from pathlib import Path

import pytest
from dashboard_pages import page

EVIL = "https://evil.example/login?next=<b>"


def _page(tmp_path: Path, path: str, **params: str) -> str:
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE refills (panel TEXT, order_id INTEGER, status TEXT, error TEXT)")
        conn.execute("INSERT INTO refills VALUES ('sim', 7, ?, ?)", [EVIL, " " + EVIL + " "])
    conn.close()
    return page(db, path, params)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/t/refills", {}),
        ("/t/refills/1", {}),  # the row page (by rowid)
        ("/t", {"sql": "SELECT panel, order_id, status, error FROM refills"}),
    ],
)
def test_a_cell_that_is_a_whole_url_is_shown_as_text_not_a_link(tmp_path, path, params):
    page = _page(tmp_path, path, **params)
    assert 'href="https://evil.example' not in page
    assert html.escape(EVIL, quote=False) in page  # the panel's words, all there
    assert "<b>" not in page.split("<tbody>")[-1]  # escaped, never markup


def test_the_order_link_stays(tmp_path):
    page = _page(tmp_path, "/t/refills")
    assert 'href="/t/orders/sim,7"' in page

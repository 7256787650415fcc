"""Piped, the words a script compares are written whole: a panel's own status
words (an unknown spelling is stored up to 100 characters), a currency and a
refill ID are never cut with an ellipsis, so what `orders` prints is what
`orders --status` takes and what `--json` says; every panel text with a TAB,
a newline, CR, NUL or U+2028 stays on its row's one line, escaped."""

from __future__ import annotations

import json
import sqlite3

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.store.orders import Store

NOW = "2026-12-07T05:00:00+00:00"
LONG = "Pending (waiting for the API of the supplier, it answers within a few hours at most)"
HOSTILE = "=HYPER\tLINK\nrow2\rcr\x00nul\u2028ls\\back"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    invoke = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG)
    Store(tmp_path / "t.db").close()
    with sqlite3.connect(tmp_path / "t.db") as conn:
        conn.execute(
            "INSERT INTO orders (panel, order_id, service, link, quantity, status,"
            " raw_status, remains, charge, currency, created_at, updated_at,"
            " last_checked_at, error, error_count, polling, source)"
            " VALUES ('main', 1001, 7, 'https://x/', 100, ?, ?, 5, 1234.5, ?, ?, ?, ?, ?, 1, 1,"
            " 'track')",
            (
                LONG,
                LONG,
                "USD (United States dollar, paid via Payeer " + HOSTILE + ")",
                NOW,
                NOW,
                NOW,
                HOSTILE,
            ),
        )
        conn.execute(
            "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains,"
            " raw_status) VALUES ('main', 1001, ?, NULL, ?, 5, ?)",
            (NOW, LONG, LONG),
        )
        conn.execute(
            "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, raw_status,"
            " error, error_count, permanent, source, updated_at)"
            " VALUES ('main', 1001, '7001', ?, ?, ?, ?, 1, 0, 'cli', ?)",
            (NOW, LONG, LONG, HOSTILE, NOW),
        )
    return invoke


def test_orders_piped_writes_a_long_status_whole_and_it_filters(cli):
    result = cli("orders")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2  # the header and the one order: no TAB or newline made a row
    assert LONG in lines[1]
    assert "…" not in lines[1].split("  ")[2]
    listed = json.loads(cli("orders", "--json").stdout)
    assert listed[0]["status"] == LONG
    again = cli("orders", "--status", LONG, "--ids")
    assert again.exit_code == 0, again.output
    assert again.stdout == "1001\n"


def test_history_and_refills_piped_write_a_long_status_whole(cli):
    history = cli("history", "1001")
    assert history.exit_code == 0, history.output
    rows = [line for line in history.stdout.splitlines() if line.startswith(NOW)]
    assert len(rows) == 1
    assert f"  {LONG}  " in rows[0]  # AT, FROM, TO...: whole
    refills = cli("refills")
    assert refills.exit_code == 0, refills.output
    lines = refills.stdout.splitlines()
    assert len(lines) == 2
    assert LONG in lines[1]
    # Its controls escaped, its own backslash doubled: "\\back" is no escape.
    assert "=HYPER\\tLINK\\nrow2\\rcr\\x00nul\\u2028ls\\\\back" in lines[1]

"""Piped, a panel's literal backslash is written `\\\\`: its two characters
`\\n` never read as the escape of a line break in the same column, so a
script can tell them apart. A terminal and `--json` are as before.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from test_wide_rest import TODAY, in_progress, run

from tracker.cli.render import table

# A panel's literal backslash-n, and a real line break, side by side.
LITERAL, BREAK = "bad\\nlink", "bad\nlink"
# A currency with a literal backslash and an ESC: each escaped once.
CURRENCY = "U\\S\x1bD"


def _database(path: Path) -> str:
    in_progress(path, [624001, 624002], datetime(2026, 12, 1, tzinfo=UTC))
    with sqlite3.connect(path) as db:
        for oid, words in ((624001, LITERAL), (624002, BREAK)):
            db.execute(
                "UPDATE orders SET error = ?, currency = ? WHERE order_id = ?",
                (words, CURRENCY, oid),
            )
            db.execute(
                "INSERT INTO transitions (panel, order_id, at, from_status, to_status, raw_status,"
                " remains, charge, currency) VALUES ('main', ?, ?, 'Pending', 'In progress', ?,"
                " 329, 0.27, ?)",
                (oid, TODAY, f"In progress: {words}", "EUR\\\x1b"),
            )
            db.execute(
                "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, updated_at,"
                " error) VALUES ('main', ?, ?, ?, 'Pending', ?, ?)",
                (oid, f"r\\{oid}", TODAY, TODAY, words),
            )
        db.execute(
            "INSERT INTO alerts (at, panel, kind, severity, message, data) VALUES"
            " (?, 'main', 'order_failed', 'warning', ?, '{}')",
            (TODAY, f"order #624001 failed: {LITERAL}"),
        )
    db.close()
    return str(path)


def test_piped_listings_write_a_literal_backslash_doubled(tmp_path, monkeypatch):
    database = _database(tmp_path / "t.db")
    orders = run(["orders", "--database", database], monkeypatch, False)
    assert "bad\\\\nlink" in orders and "bad\\nlink" in orders.replace("bad\\\\nlink", ""), orders
    # Escaped once: the backslash doubled, the ESC written \x1b (not \\x1b).
    assert "U\\\\S\\x1bD" in orders and "\\\\x1b" not in orders, orders
    refills = run(["refills", "--database", database], monkeypatch, False)
    assert "r\\\\624001" in refills and "bad\\\\nlink" in refills, refills
    assert "bad\\nlink" in refills.replace("bad\\\\nlink", ""), refills
    history = run(["history", "624001", "--database", database], monkeypatch, False)
    lines = history.splitlines()
    assert any("bad\\\\nlink" in line for line in lines[1:]), history  # its TO, in the table
    history = run(["history", "624002", "--database", database], monkeypatch, False)
    assert "\\\\" not in history.replace("EUR\\\\", ""), history  # a break: \n alone
    assert "EUR\\\\\\x1b" in history, history  # the charge's own currency, escaped once
    alerts = run(["alerts", "--database", database], monkeypatch, False)
    assert "failed: bad\\\\nlink" in alerts, alerts
    report = run(["report", "--database", database], monkeypatch, False)
    assert "U\\\\S\\x1bD" in report and "\\\\x1b" not in report, report


def test_a_terminal_and_json_are_as_before(tmp_path, monkeypatch):
    database = _database(tmp_path / "t.db")
    shown = run(["orders", "--database", database], monkeypatch, True)
    assert "bad\\nlink" in shown and "\\\\" not in shown, shown
    shown = run(["alerts", "--database", database], monkeypatch, True)
    assert "failed: bad\\nlink" in shown and "\\\\" not in shown, shown
    data = json.loads(run(["orders", "--database", database, "--json"], monkeypatch, False))
    assert {row["error"] for row in data} == {LITERAL, BREAK}
    assert {row["currency"] for row in data} == {CURRENCY}


def test_the_table_escapes_each_cell_once():
    rows = [{"a": "x\\y", "b": "\t"}]
    assert table(rows, ["a", "b"]).splitlines()[1] == "x\\\\y  \\t"

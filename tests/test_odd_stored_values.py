"""Values a hand edit or 0.1.0 left where they do not belong, read as unknown
by every command: no failure, no traceback, nothing stored changed."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from test_hand_edited import _cli, _database
from test_wide_rest import in_progress, run


def test_report_reads_a_currency_stored_as_bytes_as_unknown(tmp_path, monkeypatch):
    # A hand edit wrote the currency as a BLOB: `report` ended with "JSON
    # cannot hold BLOB values", naming no row, piped and with --json alike.
    path = tmp_path / "t.db"
    in_progress(path, [624001, 624002], datetime.now(UTC) - timedelta(days=1))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET currency = 'USD', charge = 0.1 WHERE order_id = 624001")
        db.execute("UPDATE orders SET currency = x'555344', charge = 1.5 WHERE order_id = 624002")
    db.close()
    args = ["report", "--database", str(path)]
    for terminal in (True, False):
        shown = run(args, monkeypatch, terminal)
        assert "1.50" in shown and "0.10 USD" in shown, shown
    service = json.loads(run([*args, "--json"], monkeypatch, False))["services"][0]
    assert service["orders"] == 2
    assert service["spend_by_currency"] == [
        {"currency": None, "spend": 1.5},  # as a charge whose currency the panel did not say
        {"currency": "USD", "spend": 0.1},
    ]
    with sqlite3.connect(path) as db:  # kept as it was
        assert db.execute("SELECT currency FROM orders WHERE order_id = 624002").fetchone() == (
            b"USD",
        )
    db.close()


def test_balance_says_its_checks_are_unreadable_not_that_none_was_fetched(tmp_path):
    # Every balance check stored holds text (a hand edit): --json said
    # "not_fetched_yet", and the text "no balance fetched yet", both untrue.
    path = _database(tmp_path, "UPDATE balances SET balance = 'lots'")
    code, out, err = _cli(["balance", "--database", path, "--json"])
    assert code == 0 and "'lots'" in err
    [panel] = json.loads(out)["panels"]
    assert panel["balance"] is None and panel["why_no_balance"] == "unreadable"
    code, out, err = _cli(["balance", "--database", path])
    assert code == 0
    assert "main: no readable balance stored" in err and "fetched yet" not in err, err


def test_history_first_line_doubles_a_backslash_when_piped_as_the_tables_do(tmp_path, monkeypatch):
    # A panel's own two characters \n in its error (and status) words: piped,
    # the table's cells write a backslash \\, so a script tells them from an
    # escaped line break; the first line wrote it as is.
    path = tmp_path / "t.db"
    in_progress(path, [624001], datetime.now(UTC) - timedelta(days=1))
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE orders SET error = ?, status = 'Canceled', raw_status = ?",
            ["bad key\\nretry", "Canceled: bad\\link"],
        )
    db.close()
    args = ["history", "624001", "--database", str(path)]
    first = run(args, monkeypatch, False).splitlines()[0]
    assert "(error: bad key\\\\nretry)" in first, first
    assert "Canceled: bad\\\\link" in first, first
    first = run(args, monkeypatch, True).splitlines()[0]  # a terminal: as ever
    assert "(error: bad key\\nretry)" in first and "bad\\link" in first, first

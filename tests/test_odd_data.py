"""The read commands over rows a real database can hold after years of use
and hostile panels (found by building such databases and running every read
command on them, piped and on a terminal): a panel's words never reach the
terminal raw, a figure is never worked out across two currencies, and a
NULL or garbled time is said, never a traceback.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from test_wide_rest import in_progress, run

from tracker.cli.screen import on_screen

# What a hostile panel can send as its currency (stored as sent, up to 1000
# characters): clear the screen, home the cursor, then a currency.
PAINT = "\x1b[2J\x1b[HUSD"


def _orders(path: Path, currencies: list[str]) -> None:
    ids = list(range(624001, 624001 + len(currencies)))
    in_progress(path, ids, datetime.now(UTC) - timedelta(days=1))
    with sqlite3.connect(path) as db:
        for oid, currency in zip(ids, currencies, strict=True):
            db.execute("UPDATE orders SET currency = ? WHERE order_id = ?", (currency, oid))
        db.execute("UPDATE orders SET charge = 0.1 WHERE order_id = 624001")  # spent least
    db.close()


def test_report_escapes_a_panels_currency_on_a_terminal(tmp_path, monkeypatch):
    # Spent in USD and in the hostile currency (on its own line under the
    # first spend; at 40 columns in the figures' words), or in that alone.
    for name, currencies in (("two", [PAINT, "USD"]), ("one", [PAINT, PAINT])):
        path = tmp_path / f"{name}.db"
        _orders(path, currencies)
        for terminal, columns in ((True, 80), (True, 40), (False, 80)):
            shown = run(["report", "--database", str(path)], monkeypatch, terminal, columns)
            # Said escaped, as `orders` says it. (Printed raw, it never shows
            # here: click drops ANSI sequences from what is not a terminal.)
            assert "\\x1b[2J\\x1b[HUSD" in shown, (name, terminal, columns, shown)
            assert "\x1b" not in shown


def _balances(path: Path, checks: list[tuple[str, float, str | None]]) -> None:
    in_progress(path, [624001], datetime(2026, 12, 1, tzinfo=UTC))
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO balances VALUES ('main', ?, ?, ?)", checks)
    db.close()


def test_balance_with_an_unreadable_time_is_shown_not_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "t.db"
    _balances(
        path,
        [("2026-12-04T14:00:00+00:00", 600.0, "USD"), ("garbage", 599.0, "USD")],
    )
    shown = run(["balance", "--database", str(path)], monkeypatch, False)
    assert "599" in shown and "garbage" in shown
    data = json.loads(run(["balance", "--database", str(path), "--json"], monkeypatch, False))
    assert data["panels"][0]["at"] == "garbage" and data["panels"][0]["balance"] == 599.0
    shown = run(["balance", "--database", str(path)], monkeypatch, True)
    assert "runway: unknown" in shown


def _odd_moments(path: Path) -> list[str]:
    """Orders and an episode with the moments the schema lets be NULL or odd:
    an episode with no start, an order stopped at no time, a check in month
    13. Returns --database for them."""
    in_progress(path, [624001, 624002], datetime(2026, 12, 1, tzinfo=UTC))
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO alert_state VALUES ('main', 'balance_low', 1, NULL, NULL)")
        db.execute(
            "UPDATE orders SET stopped_by = 'user', stopped_at = NULL, polling = 0"
            " WHERE order_id = 624001"
        )
        db.execute(
            "UPDATE orders SET last_checked_at = '2026-13-04T15:44:45+00:00'"
            " WHERE order_id = 624002"
        )
    db.close()
    return ["--database", str(path)]


def test_an_episode_with_no_start_is_said_not_a_traceback(tmp_path, monkeypatch):
    database = _odd_moments(tmp_path / "t.db")
    for terminal in (True, False):  # it printed "since None" piped
        shown = run(["alerts", *database], monkeypatch, terminal)
        assert "open: main balance_low since an unknown time" in shown


def test_an_order_stopped_at_no_time_is_said_not_a_traceback(tmp_path, monkeypatch):
    database = _odd_moments(tmp_path / "t.db")
    for terminal in (True, False):
        shown = run(["history", "624001", *database], monkeypatch, terminal)
        assert "not polled since an unknown time: untracked by you" in shown


def test_a_check_in_month_13_is_shown_as_stored(tmp_path, monkeypatch):
    database = _odd_moments(tmp_path / "t.db")
    shown = run(["orders", *database], monkeypatch, True)
    assert "2026-13-04T15:44:45+00:00" in shown


def test_alerts_escape_every_cell_and_open_episode(tmp_path, monkeypatch):
    # An alert's kind and severity, and an open episode's, as a database
    # edited by hand (or written by another program) can hold them.
    path = tmp_path / "t.db"
    in_progress(path, [624001], datetime(2026, 12, 1, tzinfo=UTC))
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO alerts (at, panel, kind, severity, message, data)"
            " VALUES ('2026-12-04T15:44:45+00:00', 'main', ?, ?, 'm', '{}')",
            ("k\x07\x08ind", "warn\x7fing"),
        )
        db.execute(
            "INSERT INTO alert_state VALUES ('main', ?, 1, '2026-12-04T15:44:45+00:00', NULL)",
            ("stall\x07ed",),
        )
    db.close()
    for terminal in (True, False):
        shown = run(["alerts", "--database", str(path)], monkeypatch, terminal)
        assert not any(c in shown for c in "\x07\x08\x7f"), (terminal, shown)
        assert "k\\x07\\x08ind" in shown and "warn\\x7fing" in shown
        assert "main stall\\x07ed since" in shown


def test_a_charge_stored_as_infinity_is_no_figure_anywhere(tmp_path, monkeypatch):
    # 0.1.0 stored a panel's charge "1e400" (a finite Decimal) as a float:
    # infinity, kept by the upgrade. SQLite's JSON for its sum is a bare Inf.
    # A charge no one can pay is unknown: `orders` shows none ("-", null in
    # its JSON, as before), `report` adds up the others.
    path = tmp_path / "t.db"
    _orders(path, ["USD", "USD"])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET charge = 9e999 WHERE order_id = 624002")
    db.close()
    args = ["report", "--database", str(path)]
    for terminal in (True, False):
        shown = run(args, monkeypatch, terminal)
        assert "Infinity" not in shown and "inf" not in shown.lower(), shown
    assert "SPEND USD" in run(args, monkeypatch, True)  # the currency in the header
    assert "  0.10 USD" in run(args, monkeypatch, False)
    service = json.loads(run([*args, "--json"], monkeypatch, False))["services"][0]
    assert service["orders"] == 2
    assert service["spend"] == 0.1 and service["currency"] == "USD"
    assert service["spend_by_currency"] == [{"currency": "USD", "spend": 0.1}]
    orders = ["orders", "--database", str(path)]
    listed = {
        row["order_id"]: row["charge"]
        for row in json.loads(run([*orders, "--json"], monkeypatch, False))
    }
    assert listed == {624001: 0.1, 624002: None}
    for terminal in (True, False):
        shown = run(orders, monkeypatch, terminal)
        assert "Infinity" not in shown, shown
    row = next(line for line in run(orders, monkeypatch, False).splitlines() if "624002" in line)
    assert "USD" in row and "0.10" not in row  # its currency said, no charge


def test_a_service_charged_only_infinity_has_no_spend(tmp_path, monkeypatch):
    path = tmp_path / "t.db"
    _orders(path, ["USD", "USD"])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET charge = 9e999")
    db.close()
    args = ["report", "--database", str(path)]
    piped = run(args, monkeypatch, False)
    # Unknown, as orders shows such a charge ("-"), not 0.00 as if never charged.
    assert "Infinity" not in piped and "  - USD" in piped and "0.00" not in piped
    service = json.loads(run([*args, "--json"], monkeypatch, False))["services"][0]
    assert service["spend"] is None and service["spend_by_currency"] == []


def test_orders_fit_80_columns_with_a_panels_long_currency(tmp_path, monkeypatch):
    # A panel's currency is its own text (up to 1000 characters stored).
    long = "USD (United States dollar, via Payeer)"
    path = tmp_path / "t.db"
    _orders(path, [long, "USD"])
    shown = run(["orders", "--database", str(path)], monkeypatch, True)
    assert max(map(on_screen, shown.splitlines())) <= 80, shown  # 111 before
    assert all(word in shown.split() for word in long.split())  # wrapped in CUR, none cut
    piped = run(["orders", "--database", str(path)], monkeypatch, False)
    assert f"  {long}  " in piped  # one line, as scripts read it


def test_history_of_an_order_stopped_on_a_panel_left_out_names_its_panel(tmp_path, monkeypatch):
    # Untracked on "old", a panel since left out of the config; "main" is
    # the one configured, where a bare `track 624001` tracks another order.
    in_progress(tmp_path / "t.db", [624001], datetime(2026, 12, 1, tzinfo=UTC), panel="old")
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            "UPDATE orders SET polling = 0, stopped_by = 'user',"
            " stopped_at = '2026-12-04T15:44:45+00:00'"
        )
    db.close()
    (tmp_path / "tracker.toml").write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "main"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey = "k1"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    shown = run(["history", "624001"], monkeypatch, False)
    assert "untracked by you; track --panel old 624001 resumes" in shown, shown

"""Tables on an 80-column terminal: times short ("15:44", "Dec 03 22:17"),
said UTC once, a column "-" in every row left out, one currency said in the
CHARGE header, the panel's words wrapped, never cut. Piped output (what
scripts read) is byte for byte as before: the full ISO times, every column.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from click.testing import CliRunner

from tracker.cli import screen as screen_module
from tracker.cli.main import main
from tracker.cli.orders import ORDER_COLUMNS, ORDER_HEADERS, ORDER_SCREEN
from tracker.cli.render import table
from tracker.cli.screen import DAY, SECOND, Screen, on_screen, short_time, wrap_text
from tracker.store.orders import Store

NOW = datetime(2026, 12, 4, 15, 50, 2, tzinfo=UTC)
TERMINAL = Screen(NOW, 80)
ERROR = "The order cannot be checked now: the provider of service 7 answers no status calls"


def order(oid: int, status: str, checked: str, **more: object) -> dict[str, object]:
    row: dict[str, object] = {
        "panel": "main",
        "order_id": oid,
        "status": status,
        "delivered": "671/1000",
        "remains": 329,
        "charge": "0.27819",
        "currency": "USD",
        "last_checked_at": checked,
        "eta": None,
        "error": None,
    }
    return {**row, **more}


ROWS = [
    order(624031, "In progress", "2026-12-04T15:44:45+00:00", eta="2026-12-05T09:10:00+00:00"),
    order(624030, "In progress", "2026-12-04T15:44:44+00:00", eta="2026-12-04T18:20:00+00:00"),
    order(624029, "Completed", "2026-12-03T22:17:05+00:00", error=ERROR),
    order(624028, "Partial", "2026-12-04T15:44:45+00:00", remains=600, charge="0.11128"),
]


def test_times_are_shown_short_today_another_day_and_another_year():
    assert short_time("2026-12-04T15:44:45+00:00", NOW) == "15:44"
    assert short_time("2026-12-04T15:44:45+00:00", NOW, SECOND) == "15:44:45"
    assert short_time("2026-12-04T15:44:45+00:00", NOW, DAY) == "15:44"
    assert short_time("2026-12-03T22:17:05+00:00", NOW, DAY) == "Dec 03"
    assert short_time("2026-12-03T22:17:05+00:00", NOW) == "Dec 03 22:17"
    assert short_time("2025-12-04T15:44:45+00:00", NOW) == "2025-12-04 15:44"
    assert short_time("2026-12-04T18:20:00+00:00 (stalled)", NOW) == "18:20 (stalled)"
    assert short_time("Completed", NOW) == "Completed"  # no time: as it is


def test_the_orders_table_fits_80_columns_with_the_time_status_and_money_in_it():
    text = table(ROWS, ORDER_COLUMNS, ORDER_HEADERS, screen=TERMINAL, spec=ORDER_SCREEN)
    lines = text.splitlines()
    assert max(map(on_screen, lines)) <= 80, text
    head = lines[0].split()
    assert "UTC" in head and "USD" in head  # said once, in the header
    assert "CUR" not in head  # one currency: the CHARGE header says it
    first = lines[1].split()
    assert first[:3] == ["main", "624031", "In"] and lines[1].endswith("Dec 05")  # ETA
    assert "0.27819" in first and "15:44" in first
    assert "Dec 03" in lines[3] and "600" in text and "0.11128" in text
    # The panel's words, every one, on lines of their own: never cut.
    assert " ".join(" ".join(lines[4:]).split()).count(ERROR) == 1
    assert "…" not in text


def test_two_currencies_keep_the_cur_column():
    rows = [*ROWS, order(624027, "Completed", "2026-12-04T15:44:45+00:00", currency="EUR")]
    text = table(rows, ORDER_COLUMNS, ORDER_HEADERS, screen=TERMINAL, spec=ORDER_SCREEN)
    assert "CUR" in text.splitlines()[0].split() and "EUR" in text


def test_a_column_empty_in_every_row_is_left_out_on_a_terminal_only():
    rows = [order(624028, "Completed", "2026-12-04T15:44:45+00:00")]
    shown = table(rows, ORDER_COLUMNS, ORDER_HEADERS, screen=TERMINAL, spec=ORDER_SCREEN)
    assert shown.splitlines()[0].split() == [
        *("PANEL", "ORDER", "STATUS", "DELIVERED", "REMAINS", "CHARGE", "USD"),
        *("CHECKED", "UTC"),
    ]
    piped = table(rows, ORDER_COLUMNS, ORDER_HEADERS)
    assert piped.splitlines()[0].split() == ORDER_HEADERS


def test_piped_the_table_is_unchanged_full_iso_times_and_every_column():
    piped = table(ROWS, ORDER_COLUMNS, ORDER_HEADERS)
    lines = piped.splitlines()
    assert lines[0].split() == ORDER_HEADERS
    assert "USD  2026-12-04T15:44:45+00:00  2026-12-05T09:10:00+00:00  -" in lines[1]
    assert "2026-12-03T22:17:05+00:00" in piped
    assert lines[3].endswith(ERROR[:59] + "…")  # as ever: a cell is at most 60 characters


def test_wrapping_keeps_every_word_and_breaks_an_overlong_one():
    assert wrap_text("a bb ccc", 4) == ["a bb", "ccc"]
    assert wrap_text("x" * 9, 4) == ["xxxx", "xxxx", "x"]
    assert wrap_text("最最最", 4) == ["最最", "最"]  # two columns each


def seeded(path) -> None:
    store = Store(path)
    store.track("main", [624029, 624030], datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    store.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE orders SET status = 'In progress', raw_status = 'In progress', remains = 329,"
            " quantity = 1000, charge = 0.27819, currency = 'USD',"
            " last_checked_at = '2026-12-04T15:44:45+00:00'"
        )
        db.execute("UPDATE orders SET error = ? WHERE order_id = 624029", (ERROR,))
        db.execute(
            "INSERT INTO alerts (at, panel, kind, severity, message) VALUES"
            " ('2026-12-04T15:44:44+00:00', 'main', 'order_partial', 'warning', ?)",
            ("main: order #624028 partial (remains 310, charge 0.19195, was 0.27819); " * 2,),
        )


def run(args: list[str], monkeypatch, terminal: bool) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: terminal)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_orders_and_alerts_on_a_terminal_fit_80_columns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    seeded(tmp_path / "t.db")
    for command in (["orders"], ["alerts"]):
        shown = run([*command, "--database", str(tmp_path / "t.db")], monkeypatch, True)
        assert max(map(on_screen, shown.splitlines())) <= 80, shown
        words = " ".join(shown.split())
        assert "In progress" in words or "order_partial" in words
        assert "2026-12-04T" not in shown and "UTC" in shown.splitlines()[0]
        piped = run([*command, "--database", str(tmp_path / "t.db")], monkeypatch, False)
        assert "2026-12-04T15:44:4" in piped and "UTC" not in piped
    assert ERROR in " ".join(run(["orders", "--database", "t.db"], monkeypatch, True).split())


def test_orders_just_tracked_with_no_status_yet_list_on_a_terminal(tmp_path, monkeypatch):
    """Right after `track`, before the first poll (or on a panel that sends
    no currency), no order has a currency: the CUR column is left out, and
    the table is listed; it crashed with a traceback on a terminal."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    store = Store(tmp_path / "t.db")
    store.track("main", [624029, 624030], datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    store.close()
    shown = run(["orders", "--database", "t.db"], monkeypatch, True)
    assert "624029" in shown and "624030" in shown
    assert "CUR" not in shown.splitlines()[0] and "USD" not in shown

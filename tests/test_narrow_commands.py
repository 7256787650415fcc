"""Every read command on a terminal of 40 to 79 columns (a split pane, a
phone's SSH client), with test_wide_names' database and its panel
"reseller-backup-eu": `automation` took 74 columns at any width, `orders`
79, `refills` 67, `alerts --undelivered` 63, `services` 62, `history` 56,
`alerts` 45. Now a table that cannot fit even with its words wrapped and
its names broken shows each row as words, each cell after its column's
name; the lines of words are wrapped. Every character kept, nothing cut,
with panel names of 47 and 101 characters too; below 40 columns, no
traceback; piped, as ever.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_wide import ERROR, order
from test_wide_names import CJK, NAMES, SERVICE, configured, on_a_terminal
from test_wide_rest import NOW, TODAY, run, widest, words

from tracker.cli.main import main
from tracker.cli.orders import ORDER_COLUMNS, ORDER_HEADERS, ORDER_SCREEN
from tracker.cli.render import table
from tracker.cli.screen import Screen, on_screen
from tracker.rules.reorders import NO_RATE

PANEL = NAMES[0]
OLD = "2025-01-01T00:00:00+00:00"
# What each command must still show on a narrow terminal, read as words.
COMMANDS = {
    "orders": ["order 624002", CJK, "charge 0.27819 USD", "eta Dec 05 UTC (stalled)"],
    "orders --all": ["order 624001", "status Completed", "delivered 671/1000"],
    "history 624003": ["Pending (waiting for the API of the supplier)", "12345.19195"],
    "history 624002": ["stalled since 15:44 UTC (expected by Dec 05 09:10 UTC)"],
    "alerts": ["kind refill_unknown_status", "status words not read"],
    "alerts --undelivered": ["target alerts.notify[0] (tgram)", "(last error: HTTP 502)"],
    "balance": ["12345.678"],
    "services": ["service 7", SERVICE, "max 1000000"],
    "refills": ["refill 88001", "requested Dec 03 18:10:59 UTC"],
    "report": ["0.83", "refills 1/1/0"],
    "automation": ["cancel stale Pending off", "why Partial: the remainder", NO_RATE],
    "prune --dry-run --older-than 30d": ["balances 1", "dry run: nothing deleted"],
}
WIDTHS = range(20, 81)  # below 40: best effort, but no traceback


def narrow_database(tmp_path: Path, monkeypatch) -> None:
    """test_wide_names' database, configured, with a refill, an alert its
    notify target gave up on and a balance old enough to be pruned."""
    configured(tmp_path, monkeypatch, PANEL)
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, raw_status,"
            " source, updated_at) VALUES (?, 624001, '88001', ?, 'Pending', 'Pending', 'auto', ?)",
            (PANEL, "2026-12-03T18:10:59+00:00", TODAY),
        )
        db.execute(
            "INSERT INTO alerts (id, at, panel, kind, severity, message) VALUES"
            " (7, '2026-12-03T18:48:00+00:00', ?, 'refill_unknown_status', 'warning', ?)",
            (PANEL, f"{PANEL}: refill 88001 of order #624001: status words not read"),
        )
        db.execute(
            "INSERT INTO alert_deliveries (alert_id, target, failures, failed_at, error,"
            " gave_up_at) VALUES (7, 'alerts.notify[0] (tgram)', 12, ?, 'HTTP 502', ?)",
            ("2026-12-03T18:48:00+00:00", "2026-12-03T19:12:00+00:00"),
        )
        db.execute("UPDATE orders SET status = 'Completed' WHERE order_id = 624001")
        db.execute(  # stored before the newer checks, as a check made then was
            "INSERT INTO balances (rowid, panel, at, balance, currency)"
            " SELECT min(rowid) - 1, ?, ?, 5, 'USD' FROM balances",
            (PANEL, OLD),
        )
    db.close()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_read_command_fits_40_to_79_columns(tmp_path, monkeypatch, command):
    narrow_database(tmp_path, monkeypatch)
    for columns in WIDTHS:
        shown = run(command.split(), monkeypatch, True, columns=columns)  # exit 0, asserted there
        assert "…" not in shown and "Traceback" not in shown, (columns, shown)
        if columns >= 40:
            assert widest(shown) <= columns, (columns, shown)
        if columns == 40:
            for said in COMMANDS[command]:
                assert said in words(shown), (said, shown)


def test_doctor_fits_40_to_79_columns(tmp_path, monkeypatch):
    """doctor wrapped its lines at 40 columns at least already: a guard."""
    narrow_database(tmp_path, monkeypatch)
    config = tmp_path / "tracker.toml"  # the refused connection not retried: 1.5 s a run
    config.write_text(config.read_text().replace('key = "k1"\n', 'key = "k1"\nretries = 0\n'))
    monkeypatch.setattr("tracker.cli.screen.stdout_is_terminal", lambda: True)
    for columns in WIDTHS:
        monkeypatch.setenv("COLUMNS", str(columns))
        result = CliRunner().invoke(main, ["doctor"])
        assert result.exit_code == 1  # the panel (port 9) refuses the connection
        if columns >= 40:
            assert widest(result.stdout) <= columns, (columns, result.stdout)


def test_piped_the_commands_are_as_at_80_columns(tmp_path, monkeypatch):
    """A script reads the same bytes whatever $COLUMNS says."""
    narrow_database(tmp_path, monkeypatch)
    for command in COMMANDS:
        piped = run(command.split(), monkeypatch, False, columns=40)
        assert piped == run(command.split(), monkeypatch, False, columns=80), command


# Every command in one process on the terminal, each followed by a line of
# MARK and its exit code (a process each: 12 starts, ~0.5 s apiece).
MARK = "--- command ended, exit"
EACH = f"""
import sys
from tracker.cli.main import main
for command in sys.argv[1:]:
    try:
        main(command.split(), prog_name="smm-tracker")
    except SystemExit as end:
        code = end.code
    sys.stderr.flush()
    print("{MARK}", code, flush=True)
"""


def test_every_read_command_fits_a_real_45_column_terminal(tmp_path, monkeypatch):
    narrow_database(tmp_path, monkeypatch)
    shown = on_a_terminal([*COMMANDS], tmp_path, 45, notes=True, python=["-c", EACH])
    each, lines = [], []
    for line in shown.splitlines():
        if line.startswith(MARK):
            each.append(("\n".join(lines), line.removeprefix(MARK).strip()))
            lines = []
        else:
            lines.append(line)
    assert [code for _, code in each] == ["0"] * len(COMMANDS) and not lines, shown
    for command, (said, _) in zip(COMMANDS, each, strict=True):
        assert max(map(on_screen, said.splitlines())) <= 45, (command, said)
        assert "UTC" in said and "2026-12-04T" not in said  # a terminal's


@pytest.mark.parametrize("panel", NAMES[1:], ids=["47 characters", "101 characters"])
def test_every_read_command_fits_with_a_longer_panel_name(tmp_path, monkeypatch, panel):
    monkeypatch.setattr(sys.modules[__name__], "PANEL", panel)
    narrow_database(tmp_path, monkeypatch)
    for command in COMMANDS:
        for columns in range(40, 80):
            shown = run(command.split(), monkeypatch, True, columns=columns)
            assert widest(shown) <= columns and "…" not in shown, (command, columns, shown)


def test_a_table_too_wide_for_the_screen_is_its_rows_in_words():
    rows = [
        order(624031, "In progress", TODAY, eta="2026-12-05T09:10:00+00:00 (stalled)"),
        order(624029, "Completed", TODAY, panel=PANEL, error=ERROR, currency=None, eta=None),
    ]
    text = table(rows, ORDER_COLUMNS, ORDER_HEADERS, screen=Screen(NOW, 40), spec=ORDER_SCREEN)
    assert widest(text) <= 40, text
    assert text.splitlines()[:4] == [
        "panel main  order 624031",
        "  status In progress  delivered 671/1000",
        "  remains 329  charge 0.27819 USD",
        "  checked 15:44 UTC",
    ]
    assert "  eta Dec 05 UTC (stalled)" in text.splitlines()  # UTC after the time, not the words
    second = words(text[text.index(f"panel {PANEL}") :])
    assert "charge 0.27819 checked 15:44 UTC" in second  # no currency: none said, nor "-"
    assert f"error {ERROR}" in second and "eta" not in second  # the whole error; no ETA: left out
    # Wide enough: the table, as before; at 90 columns since each charge says
    # its currency in its cell, 0.27819 USD beside 0.27819 whose none is known
    # (a plain CHARGE, no CHARGE USD over both: ux167).
    wide = table(rows, ORDER_COLUMNS, ORDER_HEADERS, screen=Screen(NOW, 90), spec=ORDER_SCREEN)
    assert wide.startswith("PANEL") and widest(wide) <= 90
    assert wide.split()[:6] == ["PANEL", "ORDER", "STATUS", "DELIVERED", "REMAINS", "CHARGE"]
    assert " 0.27819 USD " in wide and " 0.27819 " in wide.splitlines()[3]

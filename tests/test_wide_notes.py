"""The notes the read commands print on stderr, on an 80-column terminal:
wrapped at their words to its width, the rest of a note indented by 2,
every word kept; stderr piped (scripts and logs), byte for byte as before,
one line a note. Through the real CLI, in-process, on a database seeded
with a panel no longer answering, one whose key is refused and left out of
the config, and a prune of their history.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker import clock
from tracker.cli import report as report_module
from tracker.cli import screen as screen_module
from tracker.cli.main import main
from tracker.cli.screen import on_screen
from tracker.config.model import Secret
from tracker.store.capabilities import learn
from tracker.store.orders import Store

NOW = datetime(2026, 12, 4, 15, 50, 2, tzinfo=UTC)
TODAY = "2026-12-04T15:44:45+00:00"
MAIN, LEFT = "reseller-main-eu", "backup-panel-eu"  # LEFT: in the database, not the config
CONFIG = f"""
[database]
path = "t.db"
[[panels]]
name = "{MAIN}"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
"""
PRUNED = (
    "note: the history before 2026-12-04T00:00:00+00:00 was deleted by "
    "`smm-tracker prune --older-than 365d` on 2026-12-04: what this shows from before then "
    "is incomplete\n"
)
# stderr piped, as today: one line a note, ISO moments (stdout piped too).
PIPED = {
    "orders": (
        f"({LEFT}: the API key is refused since {TODAY}: its statuses are the last it gave; "
        "smm-tracker doctor, or the log's status_failed lines, say why)\n"
        f"({MAIN}: every call has failed since {TODAY}: its statuses are the last it gave; "
        "smm-tracker doctor, or the log's status_failed lines, say why)\n"
        f"({LEFT}: 1 open order not polled: not in the config; its status is the last "
        f"it gave; add the panel back, or untrack it: smm-tracker untrack --panel {LEFT} ID)\n"
    ),
    "balance": (
        "note: the history of panel reseller-main-eu before 2026-12-04T00:00:00+00:00 was "
        "deleted by `smm-tracker prune --older-than 365d` on 2026-12-04: what this shows from "
        "before then is incomplete\n"
        f"{LEFT}: no balance fetched yet (the API key is refused since {TODAY}; smm-tracker "
        "doctor says why)\n"
        f"({MAIN}: every call has failed since {TODAY}: its balance is the last it gave; "
        "smm-tracker doctor says why)\n"
    ),
    "alerts": "no alerts in the last 400d\n" + PRUNED,
    "report": f"no orders first seen in the last 3d on {MAIN}\n" + PRUNED,
    "services": (
        f"note: {MAIN} does not support refill (learned {TODAY}: it answers 'Incorrect request "
        "(this panel has no refill action for any of its services)'); `smm-tracker refill ID` "
        "tries again\n"
        "no services stored yet (the daemon syncs them; or pass --refresh)\n"
    ),
}
COMMANDS = {
    "orders": ["orders", "--database", "t.db"],
    "balance": ["balance", "--database", "t.db"],
    "alerts": ["alerts", "--since", "400d"],
    "report": ["report", "--since", "3d", "--panel", MAIN],
    "services": ["services"],
}


def seeded(directory: Path) -> None:
    """The database: an order on each panel; MAIN unreachable with a
    balance, LEFT's key refused with none; a prune of every panel."""
    store = Store(directory / "t.db")
    store.track(MAIN, [624001], datetime(2026, 12, 1, tzinfo=UTC))
    store.track(LEFT, [624002], datetime(2026, 12, 1, tzinfo=UTC))
    evidence = "Incorrect request (this panel has no refill action for any of its services)"
    learned = datetime(2026, 12, 4, 15, 44, 45, tzinfo=UTC)
    key = Secret("test-key-123456")  # the config's, $SMM_TEST_KEY
    learn(store, MAIN, "refill", False, evidence, learned, url="http://127.0.0.1:9/api/v2", key=key)
    store.close()
    with sqlite3.connect(directory / "t.db") as db:
        db.executemany(
            "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 1, ?)",
            [(MAIN, "panel_unreachable", TODAY), (LEFT, "auth_failed", TODAY)],
        )
        db.execute("INSERT INTO balances VALUES (?, ?, 12.5, 'USD')", (MAIN, TODAY))
        db.execute(
            "INSERT INTO prune_runs (at, panel, older_than, cutoff, deleted, ended_at) "
            "VALUES (?, NULL, '365d', '2026-12-04T00:00:00+00:00', '{\"orders\": 3}', ?)",
            ("2026-12-04T00:10:00+00:00", "2026-12-04T00:10:01+00:00"),
        )
    db.close()


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Return run(args, stderr_terminal, stdout_terminal) -> the Result, in a
    directory holding the config and the seeded database, at COLUMNS=80."""
    (tmp_path / "tracker.toml").write_text(CONFIG)
    seeded(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SMM_TEST_KEY", "test-key-123456")
    monkeypatch.setenv("COLUMNS", "80")
    for module in (screen_module, report_module, clock):  # --since's windows end NOW
        monkeypatch.setattr(module, "utcnow", lambda: NOW)

    def run(args: list[str], stderr: bool, stdout: bool = False):
        # (raising=False: the code before stderr was looked at had no such function.)
        monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: stderr, raising=False)
        monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: stdout)
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return run


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_notes_on_stderr_fit_80_columns_on_a_terminal_and_piped_are_unchanged(cli, command):
    piped = cli(COMMANDS[command], stderr=False)
    assert piped.stderr == PIPED[command]  # one line a note, as scripts and logs read it
    shown = cli(COMMANDS[command], stderr=True)
    lines = shown.stderr.splitlines()
    assert max(map(on_screen, lines)) <= 80, shown.stderr
    assert words(shown.stderr) == words(piped.stderr)  # every word kept, in its order
    assert shown.stdout == piped.stdout  # stdout is not a terminal: as piped
    # Each note starts at column 0, the rest of it indented by 2.
    starts = [line for line in lines if not line.startswith("  ")]
    assert len(starts) == len(piped.stderr.splitlines())
    assert all(line.startswith("  ") and line[2] != " " for line in lines if line not in starts)


def test_a_long_note_wraps_at_its_words_with_the_rest_indented(cli):
    shown = cli(COMMANDS["balance"], stderr=True).stderr
    assert shown.splitlines()[-2:] == [
        f"({MAIN}: every call has failed since {TODAY}: its",
        "  balance is the last it gave; smm-tracker doctor says why)",
    ]


def test_notes_fit_when_stdout_is_a_terminal_too(cli):
    """Both on one terminal: the moments short, as in the tables."""
    for command, args in COMMANDS.items():
        shown = cli(args, stderr=True, stdout=True)
        assert max(map(on_screen, shown.stderr.splitlines())) <= 80, (command, shown.stderr)
    orders = cli(COMMANDS["orders"], stderr=True, stdout=True).stderr
    assert orders.startswith(f"({LEFT}: the API key is refused since 15:44 UTC: its statuses")


def test_alerts_undelivered_and_history_notes_fit_too(cli, tmp_path):
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("UPDATE orders SET status = 'Pending', raw_status = 'Pending'")
    db.close()
    for args in (["alerts", "--undelivered", "--since", "400d"], ["history", "624001"]):
        piped, shown = cli(args, stderr=False), cli(args, stderr=True)
        assert max(map(on_screen, shown.stderr.splitlines())) <= 80, shown.stderr
        assert words(shown.stderr) == words(piped.stderr)
        assert len(piped.stderr.splitlines()) == (2 if "alerts" in args else 1)

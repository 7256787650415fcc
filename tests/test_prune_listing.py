"""prune's rows per table on a terminal: the tables with rows to delete, then
one line for the others.

Ops56: ``prune --dry-run`` listed all 13 tables, mostly zeros. On a terminal
it now lists the tables with rows to delete, then ``0 rows in the other 12
tables`` (nothing else is touched); piped, every table as scripts have
read it."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from simconfig import cli_in, sim_config

from tracker.cli import screen
from tracker.clock import iso, utcnow
from tracker.store.orders import Store

OLD = iso(utcnow() - timedelta(days=400))
TABLES = 13  # what prune deletes from


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """A database whose only old rows are three balance checks of one panel."""
    Store(tmp_path / "t.db").close()
    c = sqlite3.connect(tmp_path / "t.db")
    for cents in (5000, 4990, 4980):
        c.execute("INSERT INTO balances VALUES ('sim', ?, ?, 'USD')", (OLD, cents / 100))
    c.execute("INSERT INTO balances VALUES ('sim', ?, 49.7, 'USD')", (iso(utcnow()),))
    c.commit()
    c.close()
    monkeypatch.setenv("COLUMNS", "80")
    return cli_in(tmp_path, monkeypatch, sim_config("http://127.0.0.1:9"), env={"SIM_KEY": "k"})


def _listing(cli, monkeypatch, terminal: bool, *args: str) -> list[str]:
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: terminal)
    result = cli("prune", "--older-than", "365d", *args)
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line.startswith("  ")]


def test_a_dry_run_on_a_terminal_lists_the_tables_with_rows_then_one_line(cli, monkeypatch):
    assert _listing(cli, monkeypatch, True, "--dry-run") == [
        "  balances                     3",
        f"  0 rows in the other {TABLES - 1} tables",
    ]


def test_piped_every_table_is_listed_as_before(cli, monkeypatch):
    listed = _listing(cli, monkeypatch, False, "--dry-run")
    assert len(listed) == TABLES and "  balances                     3" in listed
    assert sum(line.split()[-1] == "0" for line in listed) == TABLES - 1


def test_what_was_deleted_is_said_the_same_way_on_a_terminal(cli, monkeypatch):
    deleted = _listing(cli, monkeypatch, True, "--yes")
    assert deleted[-2:] == [
        "  balances                     3",
        f"  0 rows in the other {TABLES - 1} tables",
    ]

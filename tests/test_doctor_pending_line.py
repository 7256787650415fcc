"""`doctor` on a database an old release left: its line named every
migration the next run applies, one after the other (44 names on one line
from 0.1.0's m006). It says how many, the first and the last; one or two
are still named each."""

from __future__ import annotations

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from sqlite_utils import Database

from tracker.store.migrations import migrations

# doctor asks the offline panel (port 9) at the default 4 retries: 10 ms apart.
pytestmark = pytest.mark.usefixtures("quick_backoff")


def _database_line(tmp_path, monkeypatch, stop_before: str) -> str:
    db = Database(tmp_path / "t.db")
    migrations.apply(db, stop_before=stop_before)
    db.close()
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    result = cli("doctor")
    assert "Traceback" not in result.output
    [line] = [x for x in result.output.splitlines() if " database: " in x and "writable" in x]
    return line


def test_many_pending_migrations_are_said_by_count_first_and_last(tmp_path, monkeypatch):
    names = [m.name for m in migrations.pending(Database(memory=True))]
    old = names.index("m007_probes")  # 0.1.0 left m001..m006
    line = _database_line(tmp_path, monkeypatch, names[old])
    pending = names[old:]
    assert line == (
        f"ok   database: {tmp_path / 't.db'} writable; the next run applies "
        f"{len(pending)} migrations: {pending[0]} to {pending[-1]}"
    )
    assert len(line) < 200  # it held every name


def test_one_or_two_pending_are_named(tmp_path, monkeypatch):
    names = [m.name for m in migrations.pending(Database(memory=True))]
    line = _database_line(tmp_path, monkeypatch, names[-2])
    assert line.endswith(f"the next run applies 2 migrations: {names[-2]}, {names[-1]}")

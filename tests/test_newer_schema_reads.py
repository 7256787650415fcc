"""A database a newer smm-tracker migrated, read by this one (a downgrade, or
an older binary left on a cron line): what the newer version changed in the
schema (a column renamed, a view dropped) is named as such, in one line, and
the file is never written."""

from __future__ import annotations

import sqlite3

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

FUTURE = "m099_future"
LEGACY = "PRAGMA legacy_alter_table = ON"  # views left naming the old column


@pytest.fixture
def cli(tmp_path, monkeypatch):
    return cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})


def migrated_by_a_newer_version(path, *changes: str) -> bytes:
    """Record a migration this version does not know, make its ``changes``;
    return the file's bytes as the newer version left it."""
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('smm-tracker', ?, 'x')",
            (FUTURE,),
        )
        for change in changes:
            db.execute(change)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("args", "changes"),
    [
        (("history", "101"), ["ALTER TABLE transitions RENAME COLUMN raw_status TO raw_text"]),
        (("orders",), [LEGACY, "ALTER TABLE orders RENAME COLUMN remains TO left_over"]),
        (("orders", "--json"), [LEGACY, "ALTER TABLE orders RENAME COLUMN remains TO left_over"]),
        (("report",), ["DROP VIEW stuck_orders", "DROP VIEW order_overview"]),
    ],
)
def test_a_read_the_newer_schema_breaks_names_the_newer_version(cli, tmp_path, args, changes):
    assert cli("track", "101", "102").exit_code == 0
    before = migrated_by_a_newer_version(tmp_path / "t.db", *changes)
    result = cli(*args)
    assert result.exit_code == 1, result.output
    said = result.output.strip()
    assert len(said.splitlines()) == 1, said
    assert f"was migrated by a newer smm-tracker ({FUTURE})" in said, said
    assert "upgrade smm-tracker" in said and "Traceback" not in said, said
    assert (tmp_path / "t.db").read_bytes() == before


def test_a_read_the_newer_schema_keeps_works_as_before(cli, tmp_path):
    assert cli("track", "101").exit_code == 0
    migrated_by_a_newer_version(tmp_path / "t.db", "CREATE TABLE newer_things (x)")
    result = cli("history", "101")
    assert result.exit_code == 0 and "#101" in result.output, result.output

"""doctor's database line before an upgrade: the migrations the next run
applies may need about the database's size again in free space (a table
rebuilt is written whole to the -wal, then into the file); with less free on
its disk, a warning saying the figures, where it said "ok ... writable".
No test may fill a disk: the free space statvfs reports is faked."""

from __future__ import annotations

import os
from collections import namedtuple

import pytest
from sqlite_utils import Database

from tracker.rules.database_doctor import MIGRATION_ROOM_FLOOR, database_check
from tracker.rules.doctor import OK, WARN
from tracker.service import doctor_database
from tracker.service.doctor_database import database_facts
from tracker.store.migrations import migrations
from tracker.store.orders import Store

StatVFS = namedtuple("StatVFS", "f_flag f_bavail f_frsize")
RELEASE_0_1_0 = "m007_probes"  # 0.1.0 left m001..m006


@pytest.fixture
def free_bytes(monkeypatch):
    """Set the bytes statvfs says are free on every disk (a 4096-byte block)."""
    real = os.statvfs

    def set_free(count: int) -> None:
        def statvfs(path):
            return StatVFS(real(path).f_flag, count // 4096, 4096)

        monkeypatch.setattr(os, "statvfs", statvfs)

    return set_free


def old_database(path) -> None:
    db = Database(path)
    migrations.apply(db, stop_before=RELEASE_0_1_0)
    db.close()


def test_an_upgrade_with_too_little_room_is_a_warning_with_the_figures(tmp_path, free_bytes):
    path = tmp_path / "t.db"
    old_database(path)
    free_bytes(4_100_000)
    check = database_check(database_facts(path))
    assert check.state == WARN, check
    assert check.detail.startswith(f"{path} writable; the next run applies ")
    assert "which may need up to 8.0 MB free (about the database's size, 0." in check.detail
    assert check.detail.endswith(
        f"but only 4.1 MB is free on the disk holding {tmp_path}: free some space first"
    )


def test_a_large_database_needs_its_size_free(tmp_path, free_bytes):
    path = tmp_path / "t.db"
    old_database(path)
    with open(path, "ab") as grown:  # SQLite reads no further than its header says
        grown.truncate(MIGRATION_ROOM_FLOOR + 12_000_000)
    free_bytes(15_000_000)  # above the floor, below its size
    check = database_check(database_facts(path))
    assert check.state == WARN, check
    assert "may need up to 20.0 MB free (about the database's size, 20.0 MB with its -wal)" in (
        check.detail
    )


def test_room_enough_or_nothing_to_apply_is_ok(tmp_path, free_bytes):
    path = tmp_path / "t.db"
    old_database(path)
    free_bytes(MIGRATION_ROOM_FLOOR + 4096)
    check = database_check(database_facts(path))
    assert (check.state, "the next run applies" in check.detail) == (OK, True)
    Store(path).close()  # the upgrade: nothing left to apply
    free_bytes(4096 * 10)
    check = database_check(database_facts(path))
    assert (check.state, "schema current" in check.detail) == (OK, True), check


def test_doctor_reads_the_room_on_the_databases_own_disk(tmp_path, monkeypatch):
    asked = []
    real = os.statvfs
    monkeypatch.setattr(os, "statvfs", lambda p: asked.append(str(p)) or real(p))
    path = tmp_path / "t.db"
    old_database(path)
    facts = doctor_database.database_facts(path)
    assert str(tmp_path) in asked
    assert facts.size == path.stat().st_size and facts.free is not None

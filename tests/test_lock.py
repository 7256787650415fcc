"""One daemon per database: the flock on <db>.lock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracker.errors import StoreError
from tracker.service.lock import AlreadyRunningError, DatabaseLock, lock_path


def test_lock_file_sits_next_to_the_database(tmp_path):
    assert lock_path(tmp_path / "t.db") == tmp_path / "t.db.lock"


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        # flock locks belong to an open file: a second open conflicts even in
        # one process, exactly as a second daemon would.
        with pytest.raises(AlreadyRunningError) as caught:
            DatabaseLock(db).acquire()
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message and str(db) in message
    assert "\n" not in message


def test_released_lock_can_be_taken_again_and_the_file_stays(tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        pass
    assert lock_path(db).exists()  # never deleted: deleting lock files races
    with DatabaseLock(db):
        pass


def test_other_databases_are_independent(tmp_path):
    with DatabaseLock(tmp_path / "a.db"), DatabaseLock(tmp_path / "b.db"):
        pass


def test_missing_directory_is_one_clear_line(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        DatabaseLock(tmp_path / "nope" / "t.db").acquire()


def test_memory_database_needs_no_lock(tmp_path):
    with DatabaseLock(Path(":memory:")), DatabaseLock(Path(":memory:")):
        pass

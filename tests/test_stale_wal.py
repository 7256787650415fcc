"""A -wal/-shm left beside a deleted, empty or restored database file.

SQLite 3.40 deleted the -wal beside a missing or empty database file at the
next open without a word (the old database's last writes lost), and replayed
the old -wal's pages over a database file put back from a backup (the restore
read as the old database, or as "database disk image is malformed"). Every
scenario here is a real SQLite file: a WAL whose committed frames were never
checkpointed, left where the next command finds it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from structlog.testing import capture_logs

from tracker.cli.main import main
from tracker.clock import utcnow
from tracker.errors import StoreError
from tracker.service.doctor_database import open_orders_by_panel
from tracker.store.backup import backup
from tracker.store.orders import Store


def _track(db: Path, orders: list[int]) -> None:
    store = Store(db)
    store.track("main", orders, utcnow())
    store.close()


def _write_unchecked(db: Path, orders: list[int]) -> tuple[bytes, bytes]:
    """Track ``orders`` into ``db`` so that they are only in its -wal (committed,
    never checkpointed); return the -wal's and -shm's bytes, then close."""
    keeper = sqlite3.connect(db)  # open: the store's close is not the last, no checkpoint
    keeper.execute("PRAGMA wal_autocheckpoint = 0")
    keeper.execute("SELECT count(*) FROM orders").fetchone()
    _track(db, orders)
    wal, shm = Path(f"{db}-wal").read_bytes(), Path(f"{db}-shm").read_bytes()
    assert len(wal) > 4096  # the tracked orders' pages are in it
    keeper.close()
    return wal, shm


def _put_back(db: Path, wal: bytes, shm: bytes) -> None:
    Path(f"{db}-wal").write_bytes(wal)
    Path(f"{db}-shm").write_bytes(shm)


def _orders(db: Path) -> list[int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return [row[0] for row in conn.execute("SELECT order_id FROM orders ORDER BY order_id")]
    finally:
        conn.close()


def _kept(db: Path) -> dict[str, bytes]:
    """The files kept aside beside ``db``, by the part of their name before the stamp."""
    return {
        p.name.split(".orphaned-")[0]: p.read_bytes()
        for p in db.parent.iterdir()
        if ".orphaned-" in p.name
    }


@pytest.fixture
def old_database(tmp_path) -> tuple[Path, bytes, bytes]:
    """A database whose orders 1-3 are in the file and 4-6 only in its -wal
    (as the daemon killed leaves it); ``copy.db`` beside it, its backup of
    orders 1-3. Returned closed, with no -wal left: put it back to use it."""
    db = tmp_path / "t.db"
    _track(db, [1, 2, 3])
    backup(db, tmp_path / "copy.db")  # a rollback-journal file, as `backup` writes
    wal, shm = _write_unchecked(db, [4, 5, 6])
    assert not Path(f"{db}-wal").exists()  # the clean close removed it
    return db, wal, shm


@pytest.mark.parametrize("left", ["missing", "empty"])
def test_a_new_database_beside_a_deleted_ones_wal_is_clean_and_the_wal_is_kept(old_database, left):
    db, wal, shm = old_database
    db.unlink()  # `rm tracker.db` to start afresh, or killed after it was deleted
    if left == "empty":
        db.touch()
    _put_back(db, wal, shm)
    with capture_logs() as events:
        store = Store(db)
        store.track("main", [9], utcnow())
        store.close()
    assert _orders(db) == [9]  # none of the old database's rows, nothing damaged
    assert _kept(db) == {"t.db-wal": wal, "t.db-shm": shm}  # byte for byte, never deleted
    warned = [e for e in events if e["event"] == "stale_wal_kept"]
    assert len(warned) == 1 and warned[0]["log_level"] == "warning"
    assert f"{db}-wal -> {db}-wal.orphaned-" in warned[0]["kept"]
    assert f"{db}-shm -> {db}-shm.orphaned-" in warned[0]["kept"]
    assert warned[0]["reason"] == f"the database file was {left}"


def test_the_track_command_says_what_it_kept_aside(old_database, tmp_path, monkeypatch):
    db, wal, shm = old_database
    db.unlink()
    _put_back(db, wal, shm)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "tracker.toml").write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "main"\n'
        'url = "https://panel.invalid/api/v2"\nkey = "k-1234567890abcdef"\n'
    )
    result = CliRunner().invoke(main, ["track", "9"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "stale_wal_kept" in result.output and "t.db-wal.orphaned-" in result.output
    assert _orders(db) == [9]
    assert set(_kept(db)) == {"t.db-wal", "t.db-shm"}


def _restored(old_database, tmp_path) -> tuple[Path, bytes, bytes]:
    """The database put back from a backup of orders 1-3 while the old -wal
    (orders 4-6, never checkpointed) stayed beside it."""
    db, wal, shm = old_database
    os.replace(tmp_path / "copy.db", db)
    _put_back(db, wal, shm)
    return db, wal, shm


def test_a_restored_database_is_not_overlaid_by_the_old_wal(old_database, tmp_path):
    db, wal, shm = _restored(old_database, tmp_path)
    store = Store(db)
    assert [r["order_id"] for r in store.rows("SELECT order_id FROM orders")] == [1, 2, 3]
    store.track("main", [7], utcnow())
    store.close()
    assert _orders(db) == [1, 2, 3, 7]  # the backup's rows, not the old -wal's 4-6
    assert _kept(db) == {"t.db-wal": wal, "t.db-shm": shm}


def test_a_read_command_reads_the_restored_file_and_moves_nothing(old_database, tmp_path):
    db, _, _ = _restored(old_database, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    store = Store(db, read_only=True)
    assert [r["order_id"] for r in store.rows("SELECT order_id FROM orders")] == [1, 2, 3]
    store.close()
    assert open_orders_by_panel(db) == {"main": 3}  # doctor reads the same
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_read_command_on_a_deleted_database_still_says_there_is_none(old_database):
    db, wal, shm = old_database
    db.unlink()
    _put_back(db, wal, shm)
    with pytest.raises(StoreError, match="no database at"):
        Store(db, read_only=True)
    assert not db.exists() and Path(f"{db}-wal").read_bytes() == wal  # nothing made or moved


def test_a_backup_of_a_restored_database_copies_the_file_not_the_old_wal(old_database, tmp_path):
    db, wal, _ = _restored(old_database, tmp_path)
    done = backup(db, tmp_path / "again.db")
    assert done.orders == 3
    assert _orders(tmp_path / "again.db") == [1, 2, 3]
    assert _orders(db) == [1, 2, 3]  # and the old -wal was not checkpointed into it
    assert _kept(db)["t.db-wal"] == wal


def test_files_that_cannot_be_moved_aside_stop_the_open_in_one_line(old_database, monkeypatch):
    db, wal, shm = old_database
    db.unlink()
    _put_back(db, wal, shm)

    def refuse(self, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "rename", refuse)
    with pytest.raises(StoreError) as caught:
        Store(db)
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        f"database {db}: the database file was missing, and {db}-wal could not be moved "
        f"aside (Permission denied): move {db}-wal and {db}-shm away, then start again"
    )
    assert not db.exists() and Path(f"{db}-wal").read_bytes() == wal  # neither made nor lost


def test_a_databases_own_wal_is_left_alone(tmp_path):
    # A daemon killed with writes only in its -wal: they are the file's own.
    db = tmp_path / "t.db"
    _track(db, [1])
    wal, shm = _write_unchecked(db, [2])
    _put_back(db, wal, shm)
    store = Store(db)
    assert [r["order_id"] for r in store.rows("SELECT order_id FROM orders")] == [1, 2]
    store.close()
    assert _kept(db) == {}


def test_a_second_open_in_a_process_holding_the_database_drops_none_of_its_locks(tmp_path):
    # A daemon's reload opens the database again while the old generation's
    # connection writes on. The stale check looked into the file with a
    # descriptor of its own, and closing it dropped every POSIX lock the
    # process held on the file: another process's connection, closing, took
    # itself for the last one, checkpointed and removed the -wal the daemon
    # was writing ("disk I/O error", then "database disk image is malformed").
    db = tmp_path / "t.db"
    first = Store(db)
    first.track("main", [1, 2, 3], utcnow())  # pages in the -wal, not checkpointed
    second = Store(db)  # the reload's open, the first still holding the file
    second.close()
    writer = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute(\"INSERT INTO balances (panel, at, balance) VALUES ('x', 'y', 1)\"); "
        "c.commit(); c.close()"
    )
    # Another process's command writes and closes: its close is not the last.
    subprocess.run([sys.executable, "-c", writer, str(db)], check=True, timeout=30)
    assert first.replaced() is None  # the -wal this connection writes is still the file's
    first.track("main", [4], utcnow())
    assert [r[0] for r in first.tuples("SELECT order_id FROM orders ORDER BY 1")] == [1, 2, 3, 4]
    first.close()
    assert _orders(db) == [1, 2, 3, 4]


def test_an_open_that_fails_after_connecting_keeps_no_connection(tmp_path, monkeypatch):
    # A migration failing (a full disk at a daemon's start, retried every 30 s)
    # left its connection open: its locks held, and the file noted as this
    # process's own, so the next open's stale check would never look.
    from tracker.store import stale_wal
    from tracker.store.migrations import migrations

    db = tmp_path / "t.db"
    sqlite3.connect(db).close()  # an empty file: every migration to apply

    def full(_db):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(migrations, "apply", full)
    with pytest.raises(StoreError, match="disk full|is full"):
        Store(db)
    assert not stale_wal._held(db)

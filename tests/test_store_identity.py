"""The daemon's check that its database path still names the files it writes:
the database file and, since the storage QA, its -wal."""

from __future__ import annotations

import sqlite3

from tracker.clock import utcnow
from tracker.store.identity import WAL_DELETED, WAL_REPLACED, replaced_message
from tracker.store.orders import Store


def _tracked(path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT order_id FROM orders ORDER BY order_id")]
    finally:
        conn.close()


def test_a_deleted_wal_is_noticed_and_a_clean_close_keeps_what_it_held(tmp_path):
    path = tmp_path / "t.db"
    store = Store(path)
    store.track("p", [1, 2, 3], utcnow())
    assert store.replaced() is None  # the -wal made by SQLite is the one it writes
    (tmp_path / "t.db-wal").unlink()
    assert store.replaced() == WAL_DELETED
    # SQLite writes on into the unlinked -wal: another process would not see
    # these rows, and a kill -9 now would lose them. A clean close keeps them.
    store.track("p", [4], utcnow())
    assert store.replaced() == WAL_DELETED
    store.close()
    assert _tracked(path) == [1, 2, 3, 4]


def test_another_file_at_the_wal_path_is_noticed(tmp_path):
    path = tmp_path / "t.db"
    store = Store(path)
    try:
        store.track("p", [1], utcnow())
        assert store.replaced() is None
        (tmp_path / "t.db-wal").unlink()
        (tmp_path / "t.db-wal").write_bytes(b"")  # a file copied back, made anew
        assert store.replaced() == WAL_REPLACED
    finally:
        store.close()


def test_the_database_file_itself_is_checked_as_before(tmp_path):
    path = tmp_path / "t.db"
    store = Store(path)
    try:
        assert store.replaced() is None
        path.rename(tmp_path / "moved.db")
        assert store.replaced() == "deleted"
    finally:
        store.close()


def test_the_messages_say_what_to_do():
    wal = replaced_message("/var/lib/t.db", WAL_DELETED)  # type: ignore[arg-type]
    assert wal.startswith("database /var/lib/t.db: its -wal file deleted while the daemon ran")
    assert "the clean stop writes them into the database file" in wal
    gone = replaced_message("/var/lib/t.db", "deleted")  # type: ignore[arg-type]
    assert gone.startswith("database /var/lib/t.db was deleted or moved while the daemon ran")
    # Under Restart=on-failure the restart 10 s later made a new, empty file,
    # while the words said only "stop the daemon" (it had stopped already).
    assert "the restart makes a new, empty one" in gone
    assert "stop the daemon and put it back before it restarts" in gone

"""The read-only fallback's reopen (store/connection.py) at its edges: a Store
opened read-only on purpose, and a reopen that SQLite itself refuses. Both
must end as one StoreError line, never an AttributeError or a bare
sqlite3 error (a traceback in a command, a job failure health cannot name)."""

from __future__ import annotations

import sqlite3

import pytest

import tracker.store.connection as connection
from tracker.clock import utcnow
from tracker.errors import StoreError
from tracker.store.orders import Store


def test_a_write_to_a_store_opened_read_only_is_a_store_error(tmp_path):
    path = tmp_path / "t.db"
    writer = Store(path)
    writer.track("p", [1], utcnow())
    writer.close()
    reader = Store(path, read_only=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            reader.track("p", [2], utcnow())
        assert reader.replaced() is None  # a reader watches no file
    finally:
        reader.close()


def test_a_reopen_sqlite_refuses_is_a_store_error_and_keeps_the_connection(tmp_path, monkeypatch):
    path = tmp_path / "t.db"
    store = Store(path)
    store.track("p", [1], utcnow())
    store._opened_read_only = True  # as after "attempt to write a readonly database"
    kept = store.conn

    def refused(*_args, **_kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(connection.sqlite3, "connect", refused)
    try:
        with pytest.raises(StoreError, match="t.db"):
            store.track("p", [2], utcnow())
        assert store.conn is kept
        monkeypatch.undo()
        store.track("p", [3], utcnow())  # the next write reopens and writes
        assert [r[0] for r in store.tuples("SELECT order_id FROM orders")] == [1, 3]
    finally:
        store.close()


def test_a_write_after_close_is_a_store_error_not_a_reopened_file(tmp_path):
    # A thread still writing after its Store was closed (an old generation's
    # sink after a reload) reopened the file when SQLite had once opened it
    # read-only: a connection nobody closes, holding the file and its locks
    # for the life of the process. A closed store stays closed.
    path = tmp_path / "t.db"
    store = Store(path)
    store.track("p", [1], utcnow())
    store._opened_read_only = True  # as after "attempt to write a readonly database"
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.track("p", [2], utcnow())
    assert store._opened_read_only  # nothing reopened
    reader = Store(path, read_only=True)
    try:
        assert [r[0] for r in reader.tuples("SELECT order_id FROM orders")] == [1]
    finally:
        reader.close()

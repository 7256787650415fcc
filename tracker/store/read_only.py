"""A database opened to be read only: no file created, none written, and
read-only media work. Apart from :mod:`tracker.store.connection`, which
opens every reader through it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from tracker.errors import StoreError
from tracker.store.causes import describe_db_error, write_cause
from tracker.store.newer_schema import refuse_unreadable
from tracker.store.schema import MIGRATIONS, applied_migrations, refuse_foreign
from tracker.store.stale_wal import hold, own_shm


def open_read_only(path: Path, timeout: float) -> sqlite3.Connection | None:
    """Given an existing database, return a connection that can only read it and
    creates no file (it works on read-only media); None when its schema is
    older than this version's and the file could be upgraded by a writer.

    Raise StoreError when there is no database, or an old one that cannot be
    written. One in use is read through its ``-shm``; else as immutable (no ``-shm``).
    """
    if not path.exists():
        raise StoreError.no_database(path)
    in_use = own_shm(path)  # not when a -wal beside it is another database's: left unread
    conn, error = None, sqlite3.Error("cannot be opened")
    for mode in ("ro", "ro&immutable=1") if in_use else ("ro&immutable=1",):
        try:
            conn = sqlite3.connect(
                f"file:{quote(str(path))}?mode={mode}",
                uri=True,
                timeout=timeout,
                check_same_thread=False,
            )
            applied = applied_migrations(conn)
            if not applied:
                try:
                    refuse_foreign(conn, path)
                finally:
                    conn.close()
                raise StoreError.no_database(path)  # an empty file: nothing tracked yet
            current = set(MIGRATIONS) <= applied
            break
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            conn, error = None, exc
    if conn is None:
        raise StoreError(describe_db_error(path, error)) from None
    if current:
        if newer := sorted(applied - set(MIGRATIONS)):
            try:  # a newer version's schema: read only what still reads the same
                refuse_unreadable(conn, path, newer)
            except (StoreError, sqlite3.Error) as exc:
                conn.close()
                if isinstance(exc, StoreError):
                    raise
                raise StoreError(describe_db_error(path, exc)) from None
        return hold(conn, path)
    conn.close()
    cause = write_cause(path)
    if cause is None:
        return None
    raise StoreError(
        f"database {path} needs an upgrade this read-only command cannot make ({cause}); "
        "run a write command (track, run --once) where it can be written"
    )

"""What ``smm-tracker doctor`` learns about the database: whether ``run`` can
use it, the migrations recorded in it, and the rows its warnings read, each
through a read-only connection.

The database is only looked at, never created or migrated: doctor is often run
as root against a service's state directory, and a file it left behind would
belong to root and lock the service's own user out.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from tracker.errors import StoreError
from tracker.panel.urls import shown_url
from tracker.rules.database_doctor import DatabaseFacts
from tracker.rules.doctor import WARN, Check
from tracker.rules.secret_files import database_directory_check, database_file_check
from tracker.service.lock_seen import lock_path
from tracker.store.causes import describe_db_error, not_a_file, pinned, read_cause, write_cause
from tracker.store.migrations import migrations
from tracker.store.orphans import orphan_words, orphans
from tracker.store.schema import refuse_foreign, sqlite_too_old
from tracker.store.stale_wal import own_shm


def _not_a_file(path: Path) -> str | None:
    try:
        return not_a_file(path)
    except OSError:  # looked at again below, with the words for it
        return None


def known_migrations() -> tuple[str, ...]:
    """Return the names of every migration this version knows, in order."""
    return tuple(m.name for m in migrations.pending(Database(memory=True)))


def database_facts(path: Path) -> DatabaseFacts:
    """Given ``database.path``, return what can be learnt without changing anything."""
    known = known_migrations()
    if str(path) == ":memory:":
        return DatabaseFacts(path=path, known=known)
    if (why := sqlite_too_old() or read_cause(path)) is None and not path.parent.is_dir():
        return DatabaseFacts(path=path, directory_exists=False, known=known)
    if why or (why := _not_a_file(path)):  # SQLite too old, closed, not a file
        return DatabaseFacts(path=path, exists=True, read_error=why, known=known)
    try:
        # SQLite needs to create -wal, -shm and the lock file next to the database.
        fd, probe = tempfile.mkstemp(prefix=".smm-tracker-doctor-", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return DatabaseFacts(path=path, directory_error=exc.strerror or str(exc), known=known)
    if not path.exists():  # an earlier run's lock file left: moved or deleted?
        lock = lock_path(path)
        left = lock if os.path.lexists(lock) else None
        return DatabaseFacts(path=path, known=known, lock_left=left)
    if not os.access(path, os.W_OK) and pinned(path) is None:  # chattr +i: said below
        return DatabaseFacts(path=path, exists=True, writable=False, known=known)
    if (cause := write_cause(path)) is not None:  # a full disk, a -wal left to root
        why = f"{path} cannot be written: {cause}"
        return DatabaseFacts(path=path, exists=True, read_error=why, known=known)
    try:
        applied = applied_migrations(path)
    except (sqlite3.Error, StoreError) as exc:
        why = str(exc) if isinstance(exc, StoreError) else describe_db_error(path, exc)
        return DatabaseFacts(path=path, exists=True, read_error=why, known=known)
    size, free = _room(path)
    return DatabaseFacts(path=path, exists=True, applied=applied, known=known, size=size, free=free)


def _room(path: Path) -> tuple[int, int | None]:
    """Given the database, return the bytes it and its -wal take, and those
    free to a user who is not root on its disk (None: unread)."""
    size = 0
    for name in (path, path.with_name(path.name + "-wal")):
        try:
            size += name.stat().st_size
        except OSError:
            continue
    try:
        fs = os.statvfs(path.parent)
    except OSError:
        return size, None
    return size, fs.f_bavail * fs.f_frsize


def learned_unsupported(
    path: Path, urls: Mapping[str, str] | None = None
) -> list[tuple[str, str, str, str | None, str | None]]:
    """Return (panel, action, learned_at, evidence, at) of each action learned
    unsupported; of a panel in ``urls`` (name -> its URL now), only those
    learned at that URL (or before m039 kept one), ``at`` None; of a panel
    not in it, ``at`` the URL learned at, as errors show it (credentials as
    ``***``), said after the panel ("old (at https://...)": nothing says its
    URL now); nothing when the database cannot be read (its check says why)."""
    known = urls or {}
    rows = read_rows(
        path,
        "SELECT panel, action, learned_at, evidence, url FROM panel_capabilities "
        "WHERE supported = 0 ORDER BY panel, action",
    )
    if not rows:  # none, or a schema before m039 (doctor before the restart migrates)
        rows = [
            (*row, None)
            for row in read_rows(
                path,
                "SELECT panel, action, learned_at, evidence FROM panel_capabilities "
                "WHERE supported = 0 ORDER BY panel, action",
            )
        ]
    return [
        (panel, *learned, None if panel in known or url is None else shown_url(url))
        for panel, *learned, url in rows
        if panel not in known or url is None or url == shown_url(known[panel])
    ]


def open_orders_by_panel(path: Path) -> dict[str, int]:
    """Return how many orders each panel has still polled, by panel name (one
    grouped query over the open orders); nothing when the database cannot be
    read (its check says why)."""
    rows = read_rows(
        path, "SELECT panel, count(*) FROM orders WHERE polling = 1 GROUP BY panel ORDER BY panel"
    )
    return {str(panel): int(count) for panel, count in rows}


def read_rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Return the rows of one query (with ``params``), read without creating any
    file; nothing when there is no database or it cannot be read (an older
    schema included)."""
    if str(path) == ":memory:" or read_cause(path) is not None or not path.is_file():
        return []
    in_use = own_shm(path)  # not beside another database's -wal
    mode = "ro" if in_use else "ro&immutable=1"
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode={mode}", uri=True, timeout=2.0)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def applied_migrations(path: Path) -> tuple[str, ...]:
    """Given an existing database file, return the migrations recorded in it.

    A database closed cleanly has no ``-shm`` file: it is then read as
    immutable, which creates no ``-wal``/``-shm`` file. One in use has its
    ``-shm``: a plain read-only connection then sees the latest commit.
    Raise sqlite3.Error if it cannot be read or fails SQLite's quick check.
    """
    in_use = own_shm(path)  # not beside another database's -wal
    mode = "ro" if in_use else "ro&immutable=1"
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode={mode}", uri=True, timeout=2.0)
    try:
        # Every page read once (seconds for a gigabyte): a damaged file must
        # not pass as healthy while every command that reads it fails.
        found = conn.execute("PRAGMA quick_check(1)").fetchone()
        if found is None or found[0] != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")
        applied = tuple(m.name for m in migrations.applied(Database(conn)))
        if not applied:
            refuse_foreign(conn, path)  # another program's file: StoreError
        return applied
    finally:
        conn.close()


def database_mode_checks(path: Path) -> list[Check]:
    """Return a warning for a database file every user may read, and for its
    directory when every user may create files in it; none when either cannot
    be looked at (the database check says why)."""
    if str(path) == ":memory:":
        return []
    found: list[Check | None] = []
    try:
        mode = os.stat(path).st_mode
        found.append(database_file_check(path, mode) if stat.S_ISREG(mode) else None)
    except OSError:  # not created yet, or not to be looked at
        pass
    try:
        found.append(database_directory_check(path.parent, os.stat(path.parent).st_mode))
    except OSError:
        pass
    return [check for check in found if check]


def orphaned_wal_checks(path: Path) -> list[Check]:
    """Return a warning for each ``-wal`` kept aside beside the database
    (:mod:`tracker.store.orphans`): its writes are in no database file until
    someone puts it back, and the tracker never deletes it."""
    return [Check(WARN, "database", orphan_words(found, path)) for found in orphans(path)]

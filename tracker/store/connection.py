"""The database connection: one file, WAL, numbered migrations, errors named for users.

One connection is shared by the daemon's threads; a lock makes every use of it
exclusive, and writes run in ``BEGIN IMMEDIATE`` transactions so a busy
database makes a job wait (bounded by ``busy_timeout``) instead of failing
half-way through.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import StoreError
from tracker.store.causes import describe_db_error, write_cause
from tracker.store.identity import FileIdentity
from tracker.store.read_only import open_read_only
from tracker.store.schema import MIGRATIONS, applied_migrations, check_sqlite, refuse_foreign
from tracker.store.sql import memory_temp
from tracker.store.stale_wal import connect_held, connect_writer, let_go
from tracker.store.write_waits import WAITS

if TYPE_CHECKING:
    from sqlite_utils import Database


class Writing:
    """What a write block works with: the connection (``execute``, ``conn``),
    and sqlite-utils (``utils``) only when a block asks for it, so that the
    write path does not import it (most blocks are plain SQL)."""

    __slots__ = ("conn", "_owner")

    def __init__(self, conn: sqlite3.Connection, owner: Connection):
        self.conn = conn
        self._owner = owner

    def execute(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    @property
    def utils(self) -> Database:
        """The sqlite-utils view of the same connection (same transaction)."""
        return self._owner.db


STOPPING_WAIT = 1.0  # seconds a database step may wait once a stop is asked
KEPT_LOOK = 0.1  # seconds between a waiting step's looks at whether it was taken for good


class Connection:
    """Given an SQLite path, own the one connection: open, migrate, write, read."""

    _identity: FileIdentity | None = None  # a writer's file: replaced() looks at it
    _opened_read_only = False  # SQLite fell back to read-only: reopen once writable
    _closed = False
    _kept = False  # taken for good (a process leaving jobs running): no wait ends

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = 10.0,
        migrate: bool = True,
        read_only: bool = False,
        before_migrating: Callable[[list[str]], None] | None = None,
    ):
        self.path = Path(path)
        # Told the pending migrations once this open holds the write lock; may
        # raise StoreError to leave them (a one-off command, an older daemon running).
        self._before_migrating = before_migrating
        if str(path) != ":memory:" and not self.path.parent.exists():
            raise StoreError(f"database directory {self.path.parent} does not exist")
        self._lock = threading.RLock()
        self._busy = busy_timeout
        self.stopping: threading.Event | None = None  # set: the process is stopping
        # The migrations this open applied and their seconds (the daemon logs them).
        self.migrated: tuple[list[str], float] | None = None
        self._db: Database | None = None
        if read_only and str(path) != ":memory:":
            reader = open_read_only(self.path, busy_timeout)
            if reader is not None:
                self.conn = reader
                return
            # An older schema: a reader cannot upgrade it, a writer may.
        check_sqlite()  # a writer: the status writes need UPDATE ... FROM
        try:  # a -wal not the file's own kept aside first: never replayed, never lost
            self.conn = conn = connect_writer(self.path, busy_timeout)
            applied = applied_migrations(conn)
            if not applied:  # before any pragma: another program's file stays as it is
                try:
                    refuse_foreign(conn, self.path)
                except StoreError:
                    let_go(conn)
                    raise
            conn.execute("PRAGMA foreign_keys = ON")
            if str(path) != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            newer = sorted(applied - set(MIGRATIONS))
            if newer:
                # Its schema may hold what this version would break: read it,
                # but never write to it (doctor says the same).
                let_go(conn)
                raise StoreError(
                    f"database {self.path} was migrated by a newer smm-tracker "
                    f"({', '.join(newer)}): upgrade smm-tracker to write to it"
                )
            if migrate and not set(MIGRATIONS) <= applied:
                self._migrate()
        except (sqlite3.Error, StoreError) as exc:  # closed: no lock kept, no stale "held"
            if (opened := getattr(self, "conn", None)) is not None:
                let_go(opened)
            if isinstance(exc, StoreError):
                raise
            raise StoreError(describe_db_error(self.path, exc)) from None
        if str(path) != ":memory:":
            self._identity = FileIdentity(self.path)

    def _migrate(self) -> None:
        """Apply the pending migrations, all in one immediate transaction.

        Another process may be migrating the same file (a read command run
        while the daemon starts on a new version): the write lock makes this
        one wait for it (``busy_timeout``), then find what is left. A failure
        or a kill part-way leaves the file as the older version wrote it.
        sqlite-utils (and its imports) only when there is work for it: a read
        command on a current database starts faster without.
        """
        from tracker.store.migrations import migrations

        conn, started = self.conn, time.monotonic()
        conn.execute("BEGIN IMMEDIATE")
        try:  # each migration's own transaction is a savepoint inside this one
            done = applied_migrations(conn)
            pending = [name for name in MIGRATIONS if name not in done]
            if pending and self._before_migrating is not None:
                self._before_migrating(pending)
            if pending:
                migrations.apply(self.db)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if pending:
            self.migrated = (pending, time.monotonic() - started)

    def replaced(self) -> str | None:
        """Return why the configured path no longer names the file this
        connection writes to, or its -wal (:mod:`tracker.store.identity`)."""
        return None if self._identity is None else self._identity.changed()

    def own_wal(self) -> tuple[int, int] | None:
        """Return the (device, inode) of the -wal this connection writes to, once seen."""
        return None if self._identity is None else self._identity.own_wal()

    def probe_write(self) -> None:
        """Write one page and commit: raise StoreError if the database cannot be
        written. The update changes nothing but goes through the disk like any write."""
        with self.write() as db:
            db.execute(
                "UPDATE _sqlite_migrations SET name = name "
                "WHERE rowid = (SELECT min(rowid) FROM _sqlite_migrations)"
            )

    @property
    def db(self) -> Database:
        """The sqlite-utils view of the connection, made on first use."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, execute_plugins=False)
        return self._db

    def close(self) -> None:
        with self._lock:
            self._closed = True  # a late write fails on the closed connection: never reopens
            let_go(self.conn)

    @contextmanager
    def held(self, started: float | None = None) -> Iterator[float]:
        """Hold the shared connection; yield the seconds left of the wait. Each
        step waits at most ``busy_timeout`` (side by side with other jobs), and
        at most STOPPING_WAIT once ``stopping`` is set: a stop's bound holds.
        ``started``: when the step began (its monotonic clock), if before now."""
        started = time.monotonic() if started is None else started
        stopping = self.stopping is not None and self.stopping.is_set()
        bound = min(self._busy, STOPPING_WAIT) if stopping else self._busy
        if not self._take(bound):
            if self._kept:
                raise StoreError(f"database {self.path} is kept for the process's end")
            raise StoreError(f"database {self.path} is busy (another process holds a write lock)")
        try:  # stopping: no wait for SQLite's lock, or the jobs' steps queue up behind it
            yield 0.001 if stopping else bound - (time.monotonic() - started)
        finally:
            self._lock.release()

    def _take(self, bound: float) -> bool:
        """Take the connection within ``bound`` seconds; False when it did not
        come, at once when it was taken for good meanwhile
        (:meth:`tracker.store.orders.Store.hold_idle`): a
        step waiting then (a webhook thread's read) gives up within a look,
        not at the end of ``busy_timeout``."""
        end = time.monotonic() + bound
        while not self._lock.acquire(timeout=max(0.0, min(KEPT_LOOK, end - time.monotonic()))):
            if self._kept or time.monotonic() >= end:
                return False
        return True

    @contextmanager
    def write(self, what: str | None = None, *, temp_in_memory: bool = False) -> Iterator[Writing]:
        """Run the block in one immediate transaction; roll back on any error.
        Waits at most ``busy_timeout`` in all for the connection and the lock;
        a long wait is logged and counted (:mod:`tracker.store.write_waits`,
        ``what``: a label for a caller outside the daemon's jobs).
        ``temp_in_memory``: see :func:`memory_temp`."""
        started, begun = time.monotonic(), None
        try:
            with self.held(started) as left:
                self._reopen_if_writable()
                conn = self.conn
                with memory_temp(conn, temp_in_memory):
                    # waited for the connection: less for SQLite
                    shortened = left < self._busy - 0.05
                    try:
                        if shortened:
                            conn.execute(f"PRAGMA busy_timeout = {max(1, int(left * 1000))}")
                        conn.execute("BEGIN IMMEDIATE")
                    except sqlite3.Error as exc:
                        self._opened_read_only |= "readonly" in str(exc)
                        raise StoreError(describe_db_error(self.path, exc)) from None
                    finally:
                        if shortened:
                            conn.execute(f"PRAGMA busy_timeout = {int(self._busy * 1000)}")
                    begun = time.monotonic()
                    try:
                        yield Writing(conn, self)
                        conn.execute("COMMIT")
                    except BaseException as exc:
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                        if isinstance(exc, sqlite3.Error | OverflowError):
                            self._opened_read_only |= "readonly" in str(exc)
                            raise StoreError(describe_db_error(self.path, exc)) from None
                        raise
        finally:  # a quick write: two clock readings and a comparison more
            waited = (begun or time.monotonic()) - started
            if waited >= WAITS.slow or WAITS.open:  # told and counted, the lock let go
                held = 0.0 if begun is None else time.monotonic() - begun
                WAITS.ended(self.path, waited, held, what, begun is not None)

    def _reopen_if_writable(self) -> None:
        """Reopen a file SQLite opened read-only once nothing stops writes (lock held)."""
        if self._closed or not self._opened_read_only or write_cause(self.path) is not None:
            return
        try:  # journal_mode WAL is the file's own
            fresh = connect_held(self.path, self._busy)
            fresh.executescript("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:  # the old connection kept: a StoreError, as any write's
            raise StoreError(describe_db_error(self.path, exc)) from None
        let_go(self.conn)
        self.conn, self._db, self._opened_read_only = fresh, None, False

    def tuples(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Return every row of a read query as plain tuples (hot paths)."""
        with self.held():
            try:
                return self.conn.execute(sql, list(params)).fetchall()
            except (sqlite3.Error, OverflowError) as exc:
                raise StoreError(describe_db_error(self.path, exc)) from None

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Return every row of a read query as dicts."""
        with self.held():
            try:
                cursor = self.conn.execute(sql, list(params))
                names = [column[0] for column in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor]
            except (sqlite3.Error, OverflowError) as exc:
                raise StoreError(describe_db_error(self.path, exc)) from None

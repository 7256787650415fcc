"""A consistent copy of the database while the daemon runs.

SQLite's online backup API copies every page in one step on a connection of
its own. In WAL mode that step reads one snapshot: the daemon keeps writing
meanwhile, and the copy holds exactly the transactions committed before it
began. The copy is written beside the destination, checked with
``PRAGMA integrity_check``, switched to a self-contained rollback journal
(no -wal file to carry along), and only then renamed into place.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import StoreError, TrackerError
from tracker.store.causes import describe_db_error
from tracker.store.schema import applied_migrations, refuse_foreign
from tracker.store.stale_wal import keep_aside


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote: where, how many bytes, and a few row counts."""

    path: Path
    size: int
    orders: int
    transitions: int


def _count(conn: sqlite3.Connection, table: str) -> int:
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # a database from before the table existed
        return 0


def destination_problem(dest: Path, force: bool) -> str | None:
    """Return why ``dest`` cannot be the backup's destination (the user's
    mistake, found before anything is copied), or None if it can."""
    if dest.is_dir():
        return f"backup: {dest} is a directory; name the file to write"
    if not dest.parent.is_dir():
        return f"backup: directory {dest.parent} does not exist"
    if (kind := _not_regular(dest)) is not None:  # /dev/null made a file broke a system
        return f"backup: {dest} is {kind}, not a regular file; name a file to write"
    if dest.exists() and not force:
        return f"backup: {dest} exists; use --force to overwrite it"
    return None


_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(dest: Path) -> str | None:
    """Return what ``dest`` (a symlink followed) is when it exists and is no
    regular file ("a character device", "a FIFO"...), else None."""
    try:
        mode = os.stat(dest).st_mode
    except OSError:  # missing (or a dangling symlink): the copy creates it
        return None
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


_COMPANIONS = (
    ("-wal", "write-ahead log"),
    ("-shm", "shared-memory index"),
    ("-journal", "rollback journal"),
    (".lock", "lock file"),
)


def _real(path: Path) -> Path:
    """Given a path, return it absolute, its symlinks followed: a symlink loop
    stays as it is (Path.resolve raised RuntimeError, a traceback)."""
    return Path(os.path.realpath(path))


def _companion(source: Path, dest: Path) -> str | None:
    """Return what ``dest`` is to the database when it is one of the files
    beside it (its -wal, -shm, -journal or the run's lock), else None:
    replacing one under a running daemon breaks every other command's reads,
    or lets a second daemon take the lock."""
    target = _real(dest)
    for real in {source.absolute(), _real(source)}:
        for suffix, what in _COMPANIONS:
            if target == _real(real.with_name(real.name + suffix)):
                return what
    return None


def own_file_problem(
    source: Path,
    dest: Path,
    config: Path | None = None,
    named: Sequence[tuple[str, Path]] = (),
) -> str | None:
    """Return why ``dest`` can never be the backup's destination, ``--force``
    or not: it is the database ``source`` itself or a file beside it, the
    ``config`` file the command read (its panels and keys), or a file that
    config names (``named``: (what the file is, its path), a key_file, an
    alert URL file: said by what it is, never what it holds). Else None."""
    if _real(source) == _real(dest):
        return "backup: the destination is the database itself; name another file"
    if config is not None and _real(config) == _real(dest):
        return f"backup: {dest} is the config file in use ({config}); name another file"
    if (companion := _companion(source, dest)) is not None:
        return f"backup: {dest} is the database's {companion}; name another file"
    target = _real(dest)
    for what, path in named:
        if _real(path) == target:
            return f"backup: {dest} is {what}; name another file"
    return None


def backup(
    source: Path, dest: Path, *, force: bool = False, busy_timeout: float = 30.0
) -> BackupResult:
    """Given the live database and a destination, copy it there and verify the copy.

    Raise TrackerError if ``dest`` exists (unless ``force``), is a directory,
    or its directory is missing or cannot be written; StoreError if the source
    cannot be read or the copy fails its integrity check. Nothing is left at ``dest`` on failure,
    and an existing file there is only replaced by a verified copy.
    """
    if (problem := destination_problem(dest, force)) is not None:
        raise TrackerError(problem)
    if not source.exists():
        raise StoreError(f"no database at {source}")
    if (problem := own_file_problem(source, dest)) is not None:
        raise TrackerError(problem)
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    # No more readable than the database itself (nor than the umask allows):
    # a copy of a 0600 database made as root came out 0644, readable by all.
    # Always writable by its maker: SQLite writes the copy through this file.
    private = stat.S_IMODE(source.stat().st_mode) & 0o066 | 0o600
    try:
        try:  # first see that DEST's directory takes a file: an error there names it
            # A new file, never through a link planted there: run as root into
            # a directory others may write, it truncated the file linked to.
            partial.unlink(missing_ok=True)  # a link itself, not what it names
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            os.close(os.open(partial, flags, private))
        except OSError as exc:
            raise TrackerError(f"backup: cannot write in {dest.parent}: {exc.strerror}") from None
        # Another database's -wal beside a restored file: copied into the backup
        # and, at this connection's close, checkpointed into the file for good.
        keep_aside(source)
        try:
            # Not mode=ro: a WAL database may need its -shm created to be read.
            live = sqlite3.connect(source, timeout=busy_timeout)
        except sqlite3.Error as exc:
            raise StoreError(describe_db_error(source, exc)) from None
        try:
            try:  # the first read: its failure is the source's (a -shm a read-only mount refuses)
                live.execute("SELECT count(*) FROM sqlite_master").fetchone()
                applied = applied_migrations(live)
            except sqlite3.Error as exc:
                raise StoreError(describe_db_error(source, exc)) from None
            if not applied:  # nothing of the tracker's in it
                refuse_foreign(live, source)
                raise StoreError.no_database(source)
            copy = sqlite3.connect(partial)
            try:
                live.backup(copy)  # every page in one step: one consistent snapshot
                copy.execute("PRAGMA journal_mode=DELETE")
                result = _verify(copy, dest)
            finally:
                copy.close()
        except sqlite3.Error as exc:
            # Only the copy is written: a full or read-only disk is DEST's.
            writing = any(word in str(exc) for word in ("full", "readonly", "unable to open"))
            raise StoreError(describe_db_error(dest if writing else source, exc)) from None
        finally:
            live.close()
        try:
            with open(partial, "rb+") as written:
                os.fsync(written.fileno())
            if (problem := destination_problem(dest, force)) is not None:
                raise TrackerError(problem)  # DEST changed while the copy was made
            os.replace(partial, dest)
        except OSError as exc:
            raise TrackerError(f"backup: cannot write {dest}: {exc.strerror}") from None
    finally:
        for leftover in (partial, Path(f"{partial}-journal")):
            with suppress(OSError):  # a read-only directory refuses even a missing file's unlink
                leftover.unlink(missing_ok=True)
    return BackupResult(dest, dest.stat().st_size, result[0], result[1])


def _verify(copy: sqlite3.Connection, dest: Path) -> tuple[int, int]:
    """Return (orders, transitions) in the copy; raise StoreError if it is damaged."""
    problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise StoreError(f"backup: the copy for {dest} fails integrity_check: {problems[0]}")
    return _count(copy, "orders"), _count(copy, "transitions")

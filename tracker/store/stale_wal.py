"""A ``-wal`` or ``-shm`` that is not the database file's own, kept aside before SQLite opens it.

What SQLite (3.40, measured) does with one, at the first open that may write:

- No database file, or an empty one, beside a ``-wal`` (the file deleted to
  start afresh, or while the daemon ran, then a kill -9; a clean close of a
  deleted file leaves its ``-wal`` too): SQLite deletes that ``-wal`` without a
  word (the last writes of the database that was there, lost) and starts the
  new file clean; a process still holding the deleted file would share its
  ``-shm`` with the new one.
- A database file beside another database's ``-wal`` (only the file put back
  from a backup): SQLite replays that ``-wal``'s pages over the file. The
  restored copy reads as the old database, or as pages of both ("database disk
  image is malformed"), and the first clean close checkpoints them into it.

A copy ``backup`` writes is in rollback-journal mode (header bytes 18 and 19
are 1). SQLite removes a database's ``-wal`` before it leaves WAL mode, so a
``-wal`` holding pages beside such a file belongs to another database. (A copy
of a WAL-mode file cannot be told from the file the ``-wal`` was written for.)
Both files are renamed ``NAME.orphaned-<UTC stamp>``, never deleted, and a
warning names them: an unattended restart goes on, with nothing mixed or lost.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from tracker.errors import StoreError

WAL_HEADER = 32  # bytes: a -wal no longer than its header holds no page
_MAGIC = b"SQLite format 3\x00"


# The database files this process has open in SQLite, by (device, inode), one
# entry per connection. Reading a file's header means opening and closing it
# outside SQLite, and closing any descriptor of a file drops every POSIX lock
# the process holds on it: its connections' shared locks gone, another
# process closing last checkpointed and removed the -wal they were writing
# (disk I/O error, "database disk image is malformed"). A file this process
# holds is its own database in use: never looked into, nothing moved.
_HELD: dict[int, tuple[int, int]] = {}
_HELD_LOCK = threading.Lock()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def hold(conn: sqlite3.Connection, path: Path) -> sqlite3.Connection:
    """Note ``conn`` as holding the database at ``path`` open; return it."""
    if (identity := _identity(path)) is not None:
        with _HELD_LOCK:
            _HELD[id(conn)] = identity
    return conn


def let_go(conn: sqlite3.Connection) -> None:
    """Close ``conn`` and forget it (:func:`hold`)."""
    with _HELD_LOCK:
        _HELD.pop(id(conn), None)
    conn.close()


def _held(path: Path) -> bool:
    identity = _identity(path)
    with _HELD_LOCK:
        return identity is not None and identity in _HELD.values()


def connect_held(path: Path, timeout: float) -> sqlite3.Connection:
    """Open the database for writing, held (:func:`hold`)."""
    return hold(sqlite3.connect(str(path), timeout=timeout, check_same_thread=False), path)


def connect_writer(path: Path, timeout: float) -> sqlite3.Connection:
    """Keep aside a ``-wal``/``-shm`` not the file's own (:func:`keep_aside`),
    create a missing database file readable by its owner alone
    (:func:`create_private`), then open it for writing, held (:func:`hold`)."""
    keep_aside(path)
    create_private(path)
    return connect_held(path, timeout)


PRIVATE = 0o600


def create_private(path: Path) -> None:
    """Given a database path with nothing at it, create the file empty with
    mode 0600, whatever the umask: SQLite made it 0644 under the usual umask
    022, the order links and spend readable by every local user, and it gives
    the ``-wal`` and ``-shm`` (and so ``backup`` its copy) the file's own mode.
    A file or a symbolic link already there is left as it is."""
    if str(path) == ":memory:" or os.path.lexists(path):
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        os.close(os.open(path, flags, PRIVATE))
    except OSError:  # created meanwhile, or not creatable: SQLite opens it or says why
        return


def companions(path: Path) -> tuple[Path, Path]:
    """Return the database's ``-wal`` and ``-shm`` paths."""
    return Path(f"{path}-wal"), Path(f"{path}-shm")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:  # missing, or not to be looked at: SQLite names the latter
        return None


def _rollback_journal(path: Path) -> bool:
    """Return True when ``path`` is an SQLite file in rollback-journal mode."""
    try:
        with open(path, "rb") as file:
            header = file.read(20)
    except OSError:
        return False
    return header[:16] == _MAGIC and header[18:20] == b"\x01\x01"


def stale_reason(path: Path) -> str | None:
    """Given a database path, return why the ``-wal``/``-shm`` beside it are not
    its own (words for a log line), or None when they may be (or are absent),
    or when this process holds the database open (:func:`hold`)."""
    if str(path) == ":memory:" or _held(path):
        return None
    wal, shm = companions(path)
    size = _size(path)
    if not size:
        if not (wal.exists() or shm.exists()):
            return None
        return "the database file was missing" if size is None else "the database file was empty"
    if (_size(wal) or 0) > WAL_HEADER and _rollback_journal(path):
        return (
            "the database file is a rollback-journal copy (as `backup` writes) "
            "and the -wal beside it is another database's"
        )
    return None


def own_shm(path: Path) -> bool:
    """Return True when the database has a ``-shm`` beside it that is its own:
    a reader then reads through it (``mode=ro``), else as immutable, which
    leaves a stale ``-wal`` unread."""
    return companions(path)[1].exists() and stale_reason(path) is None


def _free(base: Path) -> Path:
    """Return ``base``, or ``base-2``, ``base-3``... the first not taken."""
    for n in range(1, 100):
        candidate = base if n == 1 else Path(f"{base}-{n}")
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(f"{base} and 98 more like it exist")


def keep_aside(path: Path, now: datetime | None = None) -> str | None:
    """Given a database path about to be opened for writing, rename a ``-wal``
    and ``-shm`` that are not its own (:func:`stale_reason`) to
    ``NAME.orphaned-<UTC stamp>``, log ``stale_wal_kept`` and return what was
    done; None when nothing was. Raise StoreError when they cannot be moved:
    opening the file would mix or lose them."""
    reason = stale_reason(path)
    if reason is None:
        return None
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    moved: list[str] = []
    for stale in companions(path):
        try:
            kept = _free(Path(f"{stale}.orphaned-{stamp}"))
            stale.rename(kept)
        except FileNotFoundError:  # absent, or another process moved it first
            continue
        except OSError as exc:
            raise StoreError(
                f"database {path}: {reason}, and {stale} could not be moved aside "
                f"({exc.strerror or exc}): move {path}-wal and {path}-shm away, then start again"
            ) from None
        moved.append(f"{stale} -> {kept}")
    if not moved:
        return None
    done = "; ".join(moved)
    import structlog  # here: a read command's start-up does without it

    structlog.get_logger("tracker.store").warning(
        "stale_wal_kept", path=str(path), reason=reason, kept=done
    )
    return f"{reason}: kept aside {done}"

"""Is the database path still the file this process writes to, and its -wal?

SQLite keeps writing to an unlinked database file, or an unlinked ``-wal``,
without a word. A deleted database file loses every write since; a deleted
``-wal`` holds every write since the last checkpoint (days of a quiet
tracker's history) in a file no other process sees: `orders` and `history`
read stale rows, `doctor` called the file damaged, and a kill -9 or a power
cut lost all of it. The daemon checks this every second and stops on either:
a clean stop checkpoints what the unlinked ``-wal`` holds into the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracker.rules.episodes import Alert
from tracker.store.orphans import kept_name, recovery

WAL_DELETED = "its -wal file deleted"
WAL_REPLACED = "its -wal file replaced by another"
_WAL_CHANGES = (WAL_DELETED, WAL_REPLACED)


def _identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


class FileIdentity:
    """Given an open database's path, tell when it or its -wal stops being the
    file opened (:meth:`changed`)."""

    def __init__(self, path: Path):
        self.path = path
        self._main = _identity(path)
        self._wal: tuple[int, int] | None = None  # seen once SQLite made it
        try:  # in WAL mode SQLite made it on opening
            self._wal = _identity(Path(f"{path}-wal"))
        except OSError:
            pass

    def changed(self) -> str | None:
        """Return why the path no longer names the files this process writes
        ("deleted", "replaced by another file", :data:`WAL_DELETED`,
        :data:`WAL_REPLACED`), or None. A file that cannot be looked at
        (permissions) is no reason to stop."""
        try:
            if _identity(self.path) != self._main:
                return "replaced by another file"
        except FileNotFoundError:
            return "deleted"
        except OSError:
            return None
        try:
            wal = _identity(Path(f"{self.path}-wal"))
        except FileNotFoundError:  # never made yet, or deleted under us
            return WAL_DELETED if self._wal is not None else None
        except OSError:
            return None
        if self._wal is None:
            self._wal = wal
        return WAL_REPLACED if wal != self._wal else None

    def own_wal(self) -> tuple[int, int] | None:
        """Return the (device, inode) of the -wal this process writes to, once seen."""
        return self._wal


def replaced_message(path: Path, reason: str) -> str:
    """Given the database path and why it changed, return the daemon's last
    words (the ``store_replaced`` alert, the error it exits with)."""
    if reason in _WAL_CHANGES:
        return (
            f"database {path}: {reason} while the daemon ran (the writes since the last "
            "checkpoint are in it); stopping: the clean stop writes them into the database "
            "file. Do not delete a database's -wal file while a process has it open"
        )
    if reason == "deleted":  # or moved: a path cannot tell, and nothing is checkpointed
        return (
            f"database {path} was deleted or moved while the daemon ran; stopping so a "
            "restart opens the file that is there now (writes since then went to the old file; "
            "with none there, the restart makes a new, empty one: to go on with the old, "
            "stop the daemon and put it back before it restarts)"
        )
    return (
        f"database {path} was {reason} while the daemon ran; stopping so a restart "
        "opens the file that is there now (writes since then went to the old file)"
    )


def orphaned_words(path: Path, kept: Path) -> str:
    """Given the database path and where its -wal is kept at the stop
    (:func:`tracker.store.orphans.kept_name`), return the sentence the
    ``store_replaced`` alert adds for a file moved, deleted or replaced."""
    return (
        f"; its last writes (those since the last checkpoint, in {path}-wal) are kept as "
        f"{kept} once the daemon has stopped: {recovery(kept, path)}"
    )


def keep_orphaned_wal(path: Path, kept: Path, own: tuple[int, int] | None) -> str:
    """Once every connection is closed, rename the ``-wal`` at ``path`` to
    ``kept`` when it belongs to no file there: the database file is gone (moved,
    deleted), or another file is there and the ``-wal`` is the one this process
    wrote to (``own``, :meth:`FileIdentity.own_wal`). Return a sentence saying
    where and what to do with it, else "".

    SQLite checkpoints nothing into a file moved away: the writes since the
    last checkpoint stay in that ``-wal``. A restart at ``path`` deleted it
    beside no file, and replayed it over a file put there (the database moved
    back over the new, empty one read as that one)."""
    wal = Path(f"{path}-wal")
    try:
        if not wal.exists() or (path.exists() and (own is None or _identity(wal) != own)):
            return ""
        if os.path.lexists(kept):  # made since the alert named it: never overwritten
            kept = kept_name(path)
        wal.rename(kept)
        Path(f"{path}-shm").unlink(missing_ok=True)
    except OSError as exc:
        return f"; {wal} could not be kept aside ({exc.strerror or exc}): move it away yourself"
    return f"; its -wal is kept as {kept}, holding its last writes: {recovery(kept, path)}"


def created_message(path: Path) -> str:
    """Given the database path, return the ``store_created`` alert's words: a
    start found the lock file an earlier run left there, but no database."""
    return (
        f"database {path} did not exist, though a tracker ran on it before (its lock "
        "file is left from that run): a new, empty database was made there, which tracks "
        "no order. If the database was moved or deleted, stop the daemon, put it back "
        f"at {path} (with its -wal file, if any) and start it again; if a new database "
        "is meant, nothing to do"
    )


def created_alert(path: Path) -> Alert:
    """Given the database path, return the ``store_created`` alert of a start
    (``run``, ``run --once``) that made a new, empty database where an
    earlier run had one (its lock file left)."""
    data = {"database": str(path)}
    return Alert("store_created", created_message(path), severity="error", data=data)

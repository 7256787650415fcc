"""The ``-wal`` files kept aside beside a database: ``NAME-wal.orphaned`` (the
daemon's stop after the file was moved, deleted or replaced under it:
:func:`tracker.store.identity.keep_orphaned_wal`) and
``NAME-wal.orphaned-<UTC stamp>`` (a start that found another database's:
:mod:`tracker.store.stale_wal`). Each holds committed writes that are in no
database file; the tracker never deletes one, and says where each is.

What puts them back (SQLite 3.40, measured): a ``-wal`` is read over whatever
database file it is beside, whatever its name; nothing in it names the file
it was written for. Copied beside the file it belongs to as ``<that file>-wal``
before anything opens that file, its rows come back (a read alone first does
no harm). After a write to that file, or beside another database, its pages
are read over pages they do not fit: "database disk image is malformed", or
the other database's tables.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tracker.store.told_marks import Store, told_before

KEPT_SUFFIX = "-wal.orphaned"  # the daemon's; stale_wal's add "-<UTC stamp>"
_WAL_HEADER = 32  # bytes: a -wal no longer than its header holds no write

# The line a start of ``run`` tells an orphan with: at warning once per file
# as it is, marked in alert_state (:mod:`tracker.store.told_marks`), then at info.
TOLD = "orphaned_wal_found"


@dataclass(frozen=True)
class Orphan:
    """One ``-wal`` kept aside beside a database: where, its size in bytes and
    when it was last written (UTC)."""

    path: Path
    size: int
    written: datetime

    def shown(self) -> str:
        """Return ``PATH (N bytes, last written YYYY-MM-DD HH:MM UTC)``."""
        return f"{self.path} ({self.size} bytes, last written {self.written:%Y-%m-%d %H:%M} UTC)"


def kept_name(database: Path) -> Path:
    """Return where the daemon keeps the database's ``-wal`` aside at its
    stop: ``NAME-wal.orphaned``, or ``NAME-wal.orphaned-<pid>`` when that is
    taken (an earlier one is never overwritten)."""
    kept = Path(f"{database}{KEPT_SUFFIX}")
    return Path(f"{kept}-{os.getpid()}") if os.path.lexists(kept) else kept


def recovery(kept: Path, database: Path) -> str:
    """Given where a ``-wal`` is kept and the database path, return what to do
    with it (the measured rule: the module's docstring)."""
    return (
        f"to keep them, stop the daemon and copy {kept} beside the database file it belongs "
        f"to (the one moved away, or put back at {database}) as that file's -wal "
        f"({database}-wal there) before anything opens it, then start the daemon again; "
        "after anything wrote to that file, or beside another database, SQLite reads it "
        'over pages it does not fit ("database disk image is malformed"). The tracker '
        "never deletes it: delete it yourself once you know its rows are not needed"
    )


def orphans(database: Path) -> list[Orphan]:
    """Return the regular files ``NAME-wal.orphaned*`` beside the database,
    oldest first; none when its directory cannot be read."""
    if str(database) == ":memory:":
        return []
    prefix = f"{database.name}{KEPT_SUFFIX}"
    found = []
    try:
        with os.scandir(database.parent) as entries:
            for entry in entries:
                if not entry.name.startswith(prefix):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    written = datetime.fromtimestamp(info.st_mtime, UTC)
                    found.append(Orphan(database.parent / entry.name, info.st_size, written))
    except OSError:
        return []
    return sorted(found, key=lambda orphan: (orphan.written, orphan.path))


def orphan_words(orphan: Orphan, database: Path) -> str:
    """Return one orphan said in full: where, its size and time, what it holds
    and what to do with it."""
    if orphan.size <= _WAL_HEADER:
        return (
            f"{orphan.shown()} is a -wal kept aside beside {database} that holds no write: "
            "nothing to put back; delete it"
        )
    return (
        f"{orphan.shown()} holds the last writes of a database file that was at {database} "
        f"(moved, replaced or deleted), in no database file now: {recovery(orphan.path, database)}"
    )


def told_kind(orphan: Orphan) -> str:
    """Return what marks an orphan as told at warning (``alert_state``'s
    ``panel`` beside the kind ``orphaned_wal_found``): ``NAME SIZE WRITTEN``
    (its name beside the database, its size in bytes, its time to the
    microsecond): the same file changed (written to, touched, grown or cut)
    is another, told again."""
    return f"{orphan.path.name} {orphan.size} {orphan.written:%Y-%m-%dT%H:%M:%S.%fZ}"


def tell_orphans(database: Path, store: Store, now: datetime) -> list[Orphan]:
    """Log one ``orphaned_wal_found`` line per orphan beside the database (a
    start of ``run``, the database opened as ``store``; ``now``: the wall
    clock): at warning for one no earlier start told at warning (a new file,
    or one changed since), at info for the others; return them."""
    found = orphans(database)
    kinds = {told_kind(orphan): orphan for orphan in found}
    # None found: the marks of those gone forgotten.
    told = {kinds[kind].path: at for kind, at in told_before(store, TOLD, kinds, now).items()}
    if found:
        import structlog  # here: as stale_wal, a read command's start-up does without it

        log = structlog.get_logger("tracker.store")
        for orphan in found:
            warned = told.get(orphan.path)
            extra = {} if warned is None else {"warned_at": warned}
            (log.warning if warned is None else log.info)(
                "orphaned_wal_found",
                path=str(orphan.path),
                database=str(database),
                size=orphan.size,
                written=orphan.written.strftime("%Y-%m-%dT%H:%M:%SZ"),
                what=orphan_words(orphan, database),
                **extra,
            )
    return found

"""``smm-tracker doctor``'s database line: whether ``run`` can use
``database.path``, from the facts :mod:`tracker.service.doctor_database`
gathers. Pure. Apart from :mod:`tracker.rules.doctor`, which was near its
size limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from shlex import quote

from tracker.rules.counts import counted
from tracker.rules.doctor import FAIL, OK, WARN, Check


@dataclass(frozen=True)
class DatabaseFacts:
    """What the filesystem and SQLite said about ``database.path``."""

    path: Path
    directory_exists: bool = True
    directory_error: str | None = None  # why a file could not be created there
    exists: bool = False
    writable: bool = True  # the file itself (when it exists)
    read_error: str | None = None
    applied: tuple[str, ...] = ()  # migrations recorded in the file
    known: tuple[str, ...] = field(default_factory=tuple)  # migrations this version has
    # The lock file an earlier run left beside a database that is not there:
    # the next run makes a new, empty one (its `store_created` alert).
    lock_left: Path | None = None
    size: int = 0  # bytes of the file and its -wal
    free: int | None = None  # bytes free on its disk to a user who is not root; None: unread


# What migrating may take at worst: about the database's size again (a table
# rebuilt is written whole to the -wal, then into the file), a few MB at least.
MIGRATION_ROOM_FLOOR = 8_000_000


def _mb(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


def database_check(facts: DatabaseFacts) -> Check:
    """Given the database facts, return whether ``run`` can use the database."""
    path, name = facts.path, "database"
    if str(path) == ":memory:":
        return Check(OK, name, "in memory: nothing is kept between runs")
    if not facts.directory_exists:
        return Check(
            FAIL,
            name,
            f"directory {path.parent} does not exist: create it "
            f"(mkdir -p {quote(str(path.parent))}), or set [database] path in the config "
            "to a file in a directory that exists",
        )
    if facts.directory_error is not None:
        return Check(FAIL, name, f"cannot create files in {path.parent} ({facts.directory_error})")
    if not facts.exists and facts.lock_left is not None:
        return Check(
            WARN,
            name,
            f"{path} does not exist, though a tracker ran on it before (its lock file "
            f"{facts.lock_left} is left): the next run makes a new, empty database, which "
            "tracks no order (store_created); if it was moved or deleted, put it back "
            "first (with its -wal file, if any)",
        )
    if not facts.exists:
        return Check(OK, name, f"{path} will be created by the first run (directory writable)")
    if not facts.writable:
        return Check(FAIL, name, f"{path} is read-only for this user")
    if facts.read_error is not None:
        return Check(FAIL, name, facts.read_error)
    unknown = [m for m in facts.applied if m not in facts.known]
    if unknown:
        return Check(
            FAIL,
            name,
            f"{path} was migrated by a newer smm-tracker ({', '.join(unknown)}): "
            "upgrade smm-tracker",
        )
    pending = [m for m in facts.known if m not in facts.applied]
    need = max(facts.size, MIGRATION_ROOM_FLOOR)
    if pending and facts.free is not None and facts.free < need:
        return Check(
            WARN,
            name,
            f"{path} writable; the next run applies {counted(len(pending), 'migration')}, "
            f"which may need up to {_mb(need)} free (about the database's size, "
            f"{_mb(facts.size)} with its -wal), but only {_mb(facts.free)} is free on "
            f"the disk holding {path.parent}: free some space first",
        )
    if pending:
        # Many (an old release's database: 44 from 0.1.0) by their count,
        # first and last: every name made one very long line.
        named = ", ".join(pending) if len(pending) <= 2 else f"{pending[0]} to {pending[-1]}"
        applies = counted(len(pending), "migration")
        return Check(OK, name, f"{path} writable; the next run applies {applies}: {named}")
    # The latest migration's number, as README and CHANGELOG name it ("m038"):
    # a count of migrations (some numbers were never used) matched nothing.
    latest = facts.known[-1].partition("_")[0] if facts.known else "none"
    return Check(OK, name, f"{path} writable; schema current ({latest}, the latest migration)")

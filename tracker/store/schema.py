"""What the schema is made of, readable without sqlite-utils.

The store checks these names against ``_sqlite_migrations`` when it opens a
database, so a read command on a current database never imports the
migration machinery. The names are read from the migration functions'
definitions in :mod:`tracker.store.migrations` (``def m00N_topic(``, or the
line registering one written in :mod:`tracker.store.migrations_added` or
:mod:`tracker.store.migrations_more`), so a new
migration can never be missed here; tests/test_store.py checks they match
what sqlite-utils registers.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tracker.errors import StoreError

MIGRATION_SET = "smm-tracker"
# The oldest SQLite the tracker's writes run on: UPDATE ... FROM (3.33, 2020),
# with which every status answer is stored (tracker.store.answers).
MIN_SQLITE = (3, 33, 0)


def sqlite_too_old(version: tuple[int, int, int] | None = None) -> str | None:
    """Return why the SQLite Python was built with cannot run the tracker's
    writes (older than MIN_SQLITE), or None when it can."""
    found = version or sqlite3.sqlite_version_info
    if found >= MIN_SQLITE:
        return None
    return (
        f"SQLite {'.'.join(map(str, found))} is too old: smm-tracker needs "
        f"{'.'.join(map(str, MIN_SQLITE))} or newer (the one this Python was built with)"
    )


def check_sqlite() -> None:
    """Raise StoreError when :func:`sqlite_too_old` says why: one line at
    start-up, not a syntax error from the first status answer stored."""
    if (why := sqlite_too_old()) is not None:
        raise StoreError(why)


def _migration_names() -> tuple[str, ...]:
    source = Path(__file__).with_name("migrations.py").read_text(encoding="utf-8")
    # "def m00N_topic(" or "migrations()(added.m0NN_topic)" (more.m0NN_topic
    # from m033 on), in file order.
    return tuple(
        re.findall(r"^(?:def |migrations\(\)\((?:added|more)\.)(m\d+_\w+)\b", source, re.MULTILINE)
    )


MIGRATIONS = _migration_names()


def applied_migrations(conn: sqlite3.Connection) -> set[str]:
    """Return the names of the migrations applied to the database (none when new)."""
    try:
        return {
            row[0]
            for row in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATION_SET,)
            )
        }
    except sqlite3.OperationalError:  # a new database: no migrations table yet
        return set()


def refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """Given a database no smm-tracker migration was applied to, raise StoreError
    when it holds tables all the same: another program's file, which the
    tracker must not add its schema to (a mistyped ``[database] path``)."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite%' ORDER BY name LIMIT 4"
        )
    ]
    if names:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise StoreError(
            f"database {path} is not an smm-tracker database (it holds other tables: "
            f"{shown}); check [database] path or --database"
        )

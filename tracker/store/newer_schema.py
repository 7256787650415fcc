"""A database a newer smm-tracker migrated, opened to be read by this one.

Read commands still read such a file (a downgrade, an older binary left on a
cron line): a newer version that only added tables or columns reads the same.
One whose migrations renamed or dropped a table, view or column this version
reads would fail half-way through a command (a raw ``no such column``, or a
traceback where a row lacks a key): that is found at the open, by comparing
the file with the schema this version's own migrations make (built in memory,
only on this path), and said in one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tracker.errors import StoreError

SHOWN = 3  # missing names said at most, then "and N more"


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Return each table's and view's columns, by name (SQLite's own tables
    aside); a view that no longer reads (a table under it gone) is left out."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite%'"
        )
    ]
    found: dict[str, set[str]] = {}
    for name in names:
        try:
            rows = conn.execute("SELECT name FROM pragma_table_info(?)", (name,)).fetchall()
        except sqlite3.Error:
            continue
        found[name] = {row[0] for row in rows}
    return found


def _known() -> dict[str, set[str]]:
    """Return the tables and views (with their columns) this version's migrations make."""
    from sqlite_utils import Database

    from tracker.store.migrations import migrations

    db = Database(memory=True)
    try:
        migrations.apply(db)
        return _columns(db.conn)
    finally:
        db.close()


def missing_for_reads(conn: sqlite3.Connection) -> list[str]:
    """Given a connection to a database with migrations this version does not
    know, return what this version reads that the file no longer has
    (``orders.remains``, ``order_overview``), A to Z; empty when none."""
    have = _columns(conn)
    missing: list[str] = []
    for name, columns in sorted(_known().items()):
        if name not in have:
            missing.append(name)
        else:
            missing.extend(f"{name}.{column}" for column in sorted(columns - have[name]))
    return missing


def refuse_unreadable(conn: sqlite3.Connection, path: Path, newer: list[str]) -> None:
    """Raise StoreError when the database a newer smm-tracker migrated
    (``newer``: its migrations this version does not know) lacks a table, view
    or column this version reads."""
    missing = missing_for_reads(conn)
    if not missing:
        return
    shown = ", ".join(missing[:SHOWN])
    if len(missing) > SHOWN:
        shown += f" and {len(missing) - SHOWN} more"
    raise StoreError(
        f"database {path} was migrated by a newer smm-tracker ({', '.join(newer)}), "
        f"which changed what this version reads ({shown} no longer there): "
        "upgrade smm-tracker to read it"
    )

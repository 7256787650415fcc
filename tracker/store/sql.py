"""The pieces of SQL the store's modules share: an ``IN (...)`` list a chunk at
a time and its ``?`` marks, a None bound as NULL, and a write's temporary
storage kept in memory. Apart from :mod:`tracker.store.connection`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager, suppress
from typing import Any

CHUNK = 500  # rows per IN (...) list: well under SQLite's variable limit


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """Yield ``items`` as lists of at most ``size`` (an ``IN (...)`` list each)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# Bound for a None: SQLite stores a bound NaN as NULL (it is NULL from the
# bind on: to =, IS, COALESCE and a NOT NULL column alike), and the sqlite3
# module binds a float at once but looks each None up in its adapters first.
NULL = float("nan")


def bound(rows: Iterable[Sequence[Any]]) -> list[Any]:
    """Return ``rows``' values as one statement's parameters, each None bound
    as NULL (a NaN): the same rows stored, ~0.2 us a None less to bind."""
    return [NULL if v is None else v for row in rows for v in row]


def panels_of(table: str) -> str:
    """Return a query of the names of the panels ``table`` holds rows of
    (its ``name`` column), by a jump down an index whose first column is
    ``panel``: one seek per panel, however many rows each has (SELECT
    DISTINCT reads the whole index)."""
    return f"""
        WITH RECURSIVE p(name) AS (
            SELECT min(panel) FROM {table}
            UNION ALL
            SELECT (SELECT min(panel) FROM {table} WHERE panel > p.name)
            FROM p WHERE p.name IS NOT NULL
        )
        SELECT name FROM p WHERE name IS NOT NULL
    """


def placeholders(items: Sized) -> str:
    """Given the values of an ``IN (...)`` list, return its "?, ?, ..." marks."""
    return ",".join("?" * len(items))


@contextmanager
def memory_temp(conn: sqlite3.Connection, wanted: bool) -> Iterator[None]:
    """Within the block, when ``wanted``, keep SQLite's temporary storage in
    memory: for a write whose statements are each bounded in size (the poll's
    writer, at most 500 rows a statement). A multi-row UPDATE's statement
    journal outgrows its 64 KiB otherwise and goes to a temporary file,
    created, written and unlinked at every statement (~0.6 us an order when
    every order changes). Set before the transaction and back to the default
    after it, so every other statement spills to a file as before, its
    memory bounded. Neither fails on an open connection outside a
    transaction; on a closed one, the block's first statement says so."""
    try:
        if wanted:
            conn.execute("PRAGMA temp_store = MEMORY")
    except sqlite3.Error:
        wanted = False
    try:
        yield
    finally:
        if wanted:
            with suppress(sqlite3.Error):
                conn.execute("PRAGMA temp_store = DEFAULT")

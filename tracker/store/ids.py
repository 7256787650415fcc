"""Peeking at a database without opening it for writing (no migration, no new file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def largest_order_id(path: Path) -> int | None:
    """Given a database path, return the largest order ID it tracks on any panel;
    None when there is no such file, no order, or it cannot be read.

    Opened read-only: never creates, migrates or locks anything, so it is safe
    beside a running daemon.
    """
    return _largest(path, "SELECT max(order_id) FROM orders")


def largest_refill_id(path: Path) -> int | None:
    """Given a database path, return the largest refill ID of digits it holds
    on any panel (a panel's "R-12" is no number: left out); None as for
    :func:`largest_order_id`, which it is opened as."""
    return _largest(
        path,
        "SELECT max(CAST(refill_id AS INTEGER)) FROM refills"
        " WHERE refill_id != '' AND refill_id NOT GLOB '*[^0-9]*' AND length(refill_id) < 19",
    )


def _largest(path: Path, sql: str) -> int | None:
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            row = conn.execute(sql).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return int(row[0]) if row and row[0] is not None else None

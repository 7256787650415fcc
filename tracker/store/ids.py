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
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            row = conn.execute("SELECT max(order_id) FROM orders").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return int(row[0]) if row and row[0] is not None else None

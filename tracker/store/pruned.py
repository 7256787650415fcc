"""What ``prune`` leaves behind to tell: the newest alert's ID (prune keeps it,
so an alert ID is never given twice and one below it is gone, not mistyped),
the ``add`` idempotency key of an order it deleted, and the free pages it
left inside the file.
"""

from __future__ import annotations

from typing import Any

from tracker.store.connection import Connection


def newest_alert(store: Connection) -> int | None:
    """Return the highest alert ID in the file, None when it holds no alert.
    Raise StoreError if the database cannot be read."""
    found = store.rows("SELECT max(id) AS id FROM alerts")[0]["id"]
    return None if found is None else int(found)


def keys_of_removed(store: Connection, order_id: int, panel: str | None) -> list[dict[str, Any]]:
    """Return the ``add --idempotency-key`` rows naming ``order_id`` (of ``panel``
    only, when given) whose order the file no longer holds: only ``prune``
    deletes an order, and it keeps these keys. Each row: panel,
    idempotency_key, at. Raise StoreError if the database cannot be read."""
    return store.rows(
        "SELECT k.panel, k.idempotency_key, k.at FROM idempotency_keys k "
        "WHERE k.order_id = ? AND (? IS NULL OR k.panel = ?) AND NOT EXISTS "
        "(SELECT 1 FROM orders o WHERE o.panel = k.panel AND o.order_id = k.order_id) "
        "ORDER BY k.panel, k.at",
        [order_id, panel, panel],
    )


def free_bytes(store: Connection) -> int:
    """Return the bytes of the file's free pages: what SQLite reuses for new
    rows, and a VACUUM would give back to the disk. Raise StoreError if the
    database cannot be read."""
    row = store.rows(
        "SELECT f.freelist_count * s.page_size AS free "
        "FROM pragma_freelist_count() f, pragma_page_size() s"
    )[0]
    return int(row["free"])

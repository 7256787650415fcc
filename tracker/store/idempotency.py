"""``add --idempotency-key``: what an add sent under a key, and what came of it
(``idempotency_keys``, m034).

A key is claimed, in a committed write, before its order is sent: a second
add under it, in this process or another, finds the row and sends nothing.
A refusal (nothing placed) gives the key back; an answer lost keeps it,
Unknown, for good: the order may exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.store.connection import Connection

SENDING, PLACED, UNKNOWN = "Sending", "Placed", "Unknown"


@dataclass(frozen=True)
class Keyed:
    """An earlier add under a key: what it asked, how it ended, and when."""

    request: str
    status: str
    order_id: int | None
    error: str | None
    at: str


def request_text(fields: dict[str, Any]) -> str:
    """Given what an add asks for, return it as stored (keys sorted)."""
    return json.dumps(fields, sort_keys=True, ensure_ascii=False)


def claim(store: Connection, panel: str, key: str, request: str, now: datetime) -> Keyed | None:
    """Record that an add under ``key`` is about to be sent, committed before
    it is; return None when claimed, or the earlier add under the key (then
    nothing is to be sent)."""
    stamp = iso(now)
    with store.write() as db:
        row = db.conn.execute(
            "SELECT request, status, order_id, error, at FROM idempotency_keys "
            "WHERE panel = ? AND idempotency_key = ?",
            [panel, key],
        ).fetchone()
        if row is not None:
            return Keyed(*row)
        db.conn.execute(
            "INSERT INTO idempotency_keys (panel, idempotency_key, request, status, at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [panel, key, request, SENDING, stamp, stamp],
        )
    return None


def settle(
    store: Connection,
    panel: str,
    key: str,
    now: datetime,
    *,
    order_id: int | None = None,
    error: str | None = None,
) -> None:
    """Given how a claimed add ended, store it: Placed with its order ID, else
    Unknown with why."""
    status = PLACED if order_id is not None else UNKNOWN
    with store.write() as db:
        db.conn.execute(
            "UPDATE idempotency_keys SET status = ?, order_id = ?, error = ?, updated_at = ? "
            "WHERE panel = ? AND idempotency_key = ?",
            [status, order_id, error, iso(now), panel, key],
        )


def release(store: Connection, panel: str, key: str) -> None:
    """Give a key back: its add was refused, nothing placed."""
    with store.write() as db:
        db.conn.execute(
            "DELETE FROM idempotency_keys WHERE panel = ? AND idempotency_key = ?", [panel, key]
        )

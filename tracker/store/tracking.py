"""Recording orders to follow: new ones, details filled in, stopped ones resumed.

``track ID`` on an order already tracked never silently overwrites what is
stored: details that were missing are filled in, details that differ are
reported (and overwritten only with ``update``). An order that stopped being
polled without finishing (the panel kept calling it unknown, or the user
untracked it) is resumed: polled again from the next run, its stop cleared.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tracker.clock import iso
from tracker.panel.statuses import is_terminal
from tracker.store.connection import Connection
from tracker.store.listing import BY_USER
from tracker.store.same_panel import held_elsewhere
from tracker.store.sql import chunks, placeholders

if TYPE_CHECKING:  # types only: loaded by add, which settles a key (the reads never do)
    from tracker.store import idempotency

DETAILS = ("service", "link", "quantity", "runs", "interval")
_RESUME = {
    "polling": 1,
    "stopped_at": None,
    "stopped_by": None,
    "stop_reason": None,
    "error": None,
    "error_count": 0,
    "unknown_since": None,
    "next_check_at": None,  # due at the next run
}


@dataclass
class TrackResult:
    """What ``track`` did: new IDs, resumed orders (with why they had stopped),
    and stored details that differ from the given ones (kept unless updated)."""

    added: list[int] = field(default_factory=list)
    # (order ID, stopped_by, the stop's reason, the panel's last error apart):
    # an order the user untracked has the user's reason or none, never the
    # panel's error as one; a lost one's reason is the panel's words
    resumed: list[tuple[int, str | None, str | None, str | None]] = field(default_factory=list)
    # (order ID, field, stored value, given value)
    differs: list[tuple[int, str, Any, Any]] = field(default_factory=list)
    # (order ID, field, given value): a detail a known order had none of, now stored
    filled: list[tuple[int, str, Any]] = field(default_factory=list)
    updated: bool = False


def _stopped(row: dict[str, Any]) -> bool:
    return row["stopped_by"] is not None or (not row["polling"] and not is_terminal(row["status"]))


def _why_stopped(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """Given a stopped order's row, return (the stop's reason, the panel's last
    error said apart): `untrack` without ``--reason`` stored none, and the
    panel's error is no reason the user gave."""
    if row["stopped_by"] == BY_USER:
        error = row["error"] if row["error"] != row["stop_reason"] else None
        return row["stop_reason"], error
    return row["stop_reason"] or row["error"], None  # lost: the panel's words either way


def track_orders(
    conn: Connection,
    panel: str,
    order_ids: list[int],
    now: datetime,
    *,
    details: dict[str, Any] | None = None,
    source: str = "track",
    update: bool = False,
    clear: Collection[str] = (),
) -> TrackResult:
    """Given order IDs and optional details (DETAILS keys), record them; return
    the TrackResult. Known orders keep their history. ``clear``: details
    given as none (``--no-drip-feed``: runs and interval), a stored value of
    which differs, so is cleared only with ``update``."""
    given = {k: v for k, v in (details or {}).items() if k in DETAILS and v is not None}
    stamp = iso(now)
    result = TrackResult(updated=update)
    columns = ", ".join(f'"{c}"' for c in DETAILS)
    values = ", ".join("?" * len(DETAILS))
    with conn.write() as db:
        for chunk in chunks(sorted(set(order_ids))):
            cursor = db.conn.execute(
                f"SELECT order_id, polling, status, stopped_by, stop_reason, error, {columns} "
                f"FROM orders WHERE panel = ? AND order_id IN ({placeholders(chunk)})",
                [panel, *chunk],
            )
            names = [d[0] for d in cursor.description]
            known = {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
            new = [i for i in chunk if i not in known]
            result.added.extend(new)
            if new:
                db.conn.executemany(
                    f"INSERT INTO orders (panel, order_id, created_at, updated_at, source, "
                    f"{columns}) VALUES (?, ?, ?, ?, ?, {values})",
                    [
                        (panel, i, stamp, stamp, source, *(given.get(c) for c in DETAILS))
                        for i in new
                    ],
                )
            for order_id, row in known.items():
                changes = _changes(row, given, result, update, clear)
                if _stopped(row):
                    changes.update(_RESUME)
                    result.resumed.append((order_id, row["stopped_by"], *_why_stopped(row)))
                if changes:
                    changes["updated_at"] = stamp
                    sets = ", ".join(f'"{c}" = ?' for c in changes)
                    db.conn.execute(
                        f"UPDATE orders SET {sets} WHERE panel = ? AND order_id = ?",
                        [*changes.values(), panel, order_id],
                    )
    return result


@dataclass(frozen=True)
class Placed:
    """What tracking the ID a panel answered for an order just placed came
    to (:func:`track_placed`, :func:`tracker.store.automation.record_placed`).
    ``new``: tracked now as a new order; add's key, if any, settled Placed
    with it, unless ``gone`` (settled by another meanwhile: left so). Not
    ``new``: nothing changed, the ID tracked already: by ``elsewhere``,
    another entry for the panel's url, or (None) by this one."""

    new: bool
    elsewhere: str | None = None
    gone: idempotency.Gone | None = None


def track_placed(
    conn: Connection,
    panel: str,
    order_id: int,
    now: datetime,
    *,
    details: dict[str, Any],
    source: str = "add",
    others: Sequence[str] = (),
    claim: idempotency.Claim | None = None,
) -> Placed:
    """Given the ID the panel answered for an order just placed, start tracking
    it with its details and settle its add's ``claim`` (if any) as placed
    with it, in one transaction: a kill leaves both done or neither (the key
    then Sending: outcome unknown, nothing tracked). Nothing is changed when
    that ID is tracked already, here or by one of ``others`` (the other
    entries for the panel's url, :mod:`tracker.store.same_panel`): no proof
    of a new order, and the tracked one keeps its details, history and
    lineage; the caller settles the key."""
    given = {k: details.get(k) for k in DETAILS}
    stamp = iso(now)
    columns = ", ".join(f'"{c}"' for c in DETAILS)
    with conn.write() as db:
        elsewhere = held_elsewhere(db.conn, others, order_id)
        if elsewhere is not None:
            return Placed(False, elsewhere)
        cursor = db.conn.execute(
            f"INSERT INTO orders (panel, order_id, created_at, updated_at, source, {columns}) "
            f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(DETAILS))}) "
            "ON CONFLICT (panel, order_id) DO NOTHING",
            [panel, order_id, stamp, stamp, source, *given.values()],
        )
        if cursor.rowcount != 1:
            return Placed(False)
        if claim is None:
            return Placed(True)
        from tracker.store.idempotency import settle_in  # add's alone: not the reads' start

        return Placed(True, gone=settle_in(db.conn, claim, now, order_id=order_id))


def _changes(
    row: dict[str, Any],
    given: dict[str, Any],
    result: TrackResult,
    update: bool,
    clear: Collection[str] = (),
) -> dict[str, Any]:
    """Return the details to write to a known order: the missing ones, and the
    differing ones when ``update`` (``clear``'s given as none); record each
    difference in ``result``."""
    changes: dict[str, Any] = {}
    for name in clear:
        if row[name] is not None:
            result.differs.append((row["order_id"], name, row[name], None))
            if update:
                changes[name] = None
    for name, value in given.items():
        stored = row[name]
        if stored is None:
            changes[name] = value
            result.filled.append((row["order_id"], name, value))
        elif stored != value:
            result.differs.append((row["order_id"], name, stored, value))
            if update:
                changes[name] = value
    return changes

"""``add --idempotency-key``: what an add sent under a key, and what came of it
(``idempotency_keys``, m034).

A key is claimed, in a committed write, before its order is sent: a second
add under it, in this process or another, finds the row and sends nothing.
A refusal (nothing placed) gives the key back; an answer lost keeps it,
Unknown (or Sending, a run killed meanwhile) until the user, having checked
the panel, settles it: placed as an order they track (``track
--idempotency-key``), or not placed (``add --not-placed``: claimed again).

An add's answer changes the row only while it is still that add's
:class:`Claim` (Sending, since the moment it claimed it): an answer come
after the user settled the key (an add suspended, a VM stopped) changes
nothing, and is told where it came (:class:`Gone`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tracker.clock import iso, read_iso
from tracker.store.connection import Connection

SENDING, PLACED, UNKNOWN = "Sending", "Placed", "Unknown"
OPEN = (SENDING, UNKNOWN)  # outcome unknown: the order may or may not exist
_COLUMNS = "request, status, order_id, error, at"


@dataclass(frozen=True)
class Keyed:
    """An earlier add under a key: what it asked, how it ended, and when."""

    request: str
    status: str
    order_id: int | None
    error: str | None
    at: str


@dataclass(frozen=True)
class Claim:
    """An add's hold on a key: the row it wrote, Sending, ``at`` the moment
    it claimed it (:func:`tracker.clock.iso`, to the second).

    The second tells two live claims apart: a claim another replaces while
    its add may still run is one :func:`reclaim` found Sending, which it
    takes only ``longest`` (a minute at least) after its ``at``, a clock set
    back included. Replaced in the same second it can be only once its add
    has written its answer (Unknown, or the key given back), which is its
    last write to the row."""

    panel: str
    key: str
    at: str

    @classmethod
    def made(cls, panel: str, key: str, now: datetime) -> Claim:
        """Return the claim an add on ``panel`` under ``key`` makes at ``now``."""
        return cls(panel, key, iso(now))


@dataclass(frozen=True)
class Gone:
    """A claim its add's answer found settled by another meanwhile (tracked,
    claimed again by ``add --not-placed``): ``held``, what the key holds
    now (None: no add); nothing was changed."""

    held: Keyed | None


# The row of a claim as its add made it: the only row its answer may change.
_MINE = "panel = ? AND idempotency_key = ? AND status = 'Sending' AND at = ?"


def request_text(fields: dict[str, Any]) -> str:
    """Given what an add asks for, return it as stored (keys sorted)."""
    return json.dumps(fields, sort_keys=True, ensure_ascii=False)


def claim(store: Connection, panel: str, key: str, request: str, now: datetime) -> Keyed | None:
    """Record that an add under ``key`` is about to be sent, committed before
    it is; return None when claimed, or the earlier add under the key (then
    nothing is to be sent)."""
    stamp = Claim.made(panel, key, now).at
    with store.write() as db:
        earlier = _held(db.conn, panel, key)
        if earlier is not None:
            return earlier
        _insert(db.conn, panel, key, request, stamp)
    return None


def _held(conn: Any, panel: str, key: str) -> Keyed | None:
    """Return the add under ``key`` on ``panel`` (in the caller's transaction), or None."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM idempotency_keys WHERE panel = ? AND idempotency_key = ?",
        [panel, key],
    ).fetchone()
    return Keyed(*row) if row is not None else None


def _insert(conn: Any, panel: str, key: str, request: str, stamp: str) -> None:
    """Claim ``key`` for an add about to be sent (in the caller's transaction)."""
    conn.execute(
        "INSERT INTO idempotency_keys (panel, idempotency_key, request, status, at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [panel, key, request, SENDING, stamp, stamp],
    )


def settle(
    store: Connection,
    mine: Claim,
    now: datetime,
    *,
    order_id: int | None = None,
    error: str | None = None,
) -> Gone | None:
    """Given how a claimed add ended, store it: Placed with its order ID, else
    Unknown with why; return None, or :class:`Gone` (nothing changed) when
    the key is no longer ``mine``."""
    with store.write() as db:
        return settle_in(db.conn, mine, now, order_id=order_id, error=error)


def settle_in(
    conn: Any,
    mine: Claim,
    now: datetime,
    *,
    order_id: int | None = None,
    error: str | None = None,
) -> Gone | None:
    """:func:`settle`, in the caller's write transaction: ``add``'s, which
    tracks the order placed in it (:func:`tracker.store.tracking.track_placed`),
    so that a kill never leaves the order tracked and its key unsettled."""
    status = PLACED if order_id is not None else UNKNOWN
    done = conn.execute(
        f"UPDATE idempotency_keys SET status = ?, order_id = ?, error = ?, updated_at = ? "
        f"WHERE {_MINE}",
        [status, order_id, error, iso(now), mine.panel, mine.key, mine.at],
    ).rowcount
    return None if done else Gone(_held(conn, mine.panel, mine.key))


def release(store: Connection, mine: Claim) -> Gone | None:
    """Give a key back, its add refused (nothing placed); return None, or
    :class:`Gone` (nothing changed) when the key is no longer ``mine``."""
    with store.write() as db:
        done = db.conn.execute(
            f"DELETE FROM idempotency_keys WHERE {_MINE}", [mine.panel, mine.key, mine.at]
        ).rowcount
        return None if done else Gone(_held(db.conn, mine.panel, mine.key))


def find(store: Connection, panel: str, key: str) -> Keyed | None:
    """Return the add made under ``key`` on ``panel``, or None."""
    found = store.rows(
        f"SELECT {_COLUMNS} FROM idempotency_keys WHERE panel = ? AND idempotency_key = ?",
        [panel, key],
    )
    return Keyed(**found[0]) if found else None


def panels_with(store: Connection, key: str) -> list[str]:
    """Return the panels holding an add under ``key``."""
    found = store.rows(
        "SELECT panel FROM idempotency_keys WHERE idempotency_key = ? ORDER BY panel", [key]
    )
    return [row["panel"] for row in found]


def may_be_sending(earlier: Keyed, now: datetime, longest: float) -> bool:
    """Given an add under a key, return True when it is Sending and began
    less than ``longest`` seconds (an add's longest call) before ``now``:
    it may still be waiting for its answer, not killed."""
    began = read_iso(earlier.at)
    if earlier.status != SENDING or began is None:
        return False
    return now - began < timedelta(seconds=longest)


def reclaim(
    store: Connection, panel: str, key: str, request: str, now: datetime, longest: float
) -> tuple[Keyed | None, bool]:
    """Claim ``key`` for an add whose earlier add under it the user found not
    placed: a key unused is claimed as by :func:`claim`, one whose outcome is
    unknown for the same request is claimed again as a first add (its row
    Sending, ``at`` now). Return (the earlier add or None, claimed); a key
    placed, used for another request, or whose add may still be sending
    (:func:`may_be_sending`), is left as it was (claimed False). Claimed,
    the add's claim is ``Claim.made(panel, key, now)``; the add that held
    it before, come back, finds it :class:`Gone`."""
    stamp = Claim.made(panel, key, now).at
    with store.write() as db:
        earlier = _held(db.conn, panel, key)
        if earlier is None:
            _insert(db.conn, panel, key, request, stamp)
            return None, True
        if earlier.status not in OPEN or earlier.request != request:
            return earlier, False
        if may_be_sending(earlier, now, longest):
            return earlier, False
        db.conn.execute(
            "UPDATE idempotency_keys SET status = ?, order_id = NULL, error = NULL, at = ?, "
            "updated_at = ? WHERE panel = ? AND idempotency_key = ?",
            [SENDING, stamp, stamp, panel, key],
        )
    return earlier, True


def settle_tracked(
    store: Connection, panel: str, key: str, order_id: int, now: datetime, seen: str
) -> Keyed | None:
    """Settle ``key`` as placed with ``order_id``, an order the user found on
    the panel, when its outcome is unknown and it is still the add the user
    checked (``seen``: its ``at``); return the add under it as it was (None:
    no such key). A key placed, or claimed again since (``add
    --not-placed``: another add sending under it), is left as it was."""
    with store.write() as db:
        earlier = _held(db.conn, panel, key)
        if earlier is None:
            return None
        if earlier.status in OPEN and earlier.at == seen:
            db.conn.execute(
                "UPDATE idempotency_keys SET status = ?, order_id = ?, error = NULL, "
                "updated_at = ? WHERE panel = ? AND idempotency_key = ?",
                [PLACED, order_id, iso(now), panel, key],
            )
    return earlier

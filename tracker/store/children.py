"""A drip-feed or subscription order's child orders and runs, as its status
answers name them (``{"status", "runs", "orders": [child IDs]}``): stored by
the poll's writer (:func:`note_children`, in its transaction, for the answers
that name children alone) and read by `history` (:func:`children_of`).

The panel is not trusted: an order keeps at most :data:`MAX_CHILDREN` child
IDs (the first named), one warning, ``child_orders_capped``, logged by the
answer that brings it there; an ID is one the parser read by the tracker's
one rule (:func:`tracker.panel.ids.key_id`).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from tracker.store.sql import CHUNK, chunks, placeholders

if TYPE_CHECKING:  # a type only: the read commands' start-up does without it
    from tracker.panel.models import OrderStatus
    from tracker.store.connection import Connection

# Child order IDs kept per order: a subscription's posts, a drip-feed's runs,
# are tens or hundreds; an answer naming thousands is no panel's honest one.
MAX_CHILDREN = 1000

_INSERT_CHILD = (
    "INSERT OR IGNORE INTO child_orders (panel, order_id, child_id, first_seen_at) "
    "VALUES (?, ?, ?, ?)"
)
# Written when the figure changes: ``said_at`` is when the panel first said it.
_UPSERT_RUNS = (
    "INSERT INTO child_runs (panel, order_id, runs, said_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (panel, order_id) DO UPDATE SET runs = excluded.runs, "
    "said_at = excluded.said_at WHERE runs IS NOT excluded.runs"
)


def note_children(
    conn: sqlite3.Connection, panel: str, parents: list[OrderStatus], stamp: str
) -> None:
    """Given reports naming child orders (of tracked orders whose answer this
    transaction stores), store the child IDs not stored yet, up to
    MAX_CHILDREN an order, and each report's ``runs`` where it has one."""
    held: dict[int, set[int]] = defaultdict(set)
    for chunk in chunks([report.order_id for report in parents]):
        found = conn.execute(
            "SELECT order_id, child_id FROM child_orders "
            f"WHERE panel = ? AND order_id IN ({placeholders(chunk)})",
            [panel, *chunk],
        )
        for order_id, child_id in found:
            held[order_id].add(child_id)
    rows: list[tuple[Any, ...]] = []
    capped: list[dict[str, int]] = []
    for report in parents:
        have = held[report.order_id]
        new = [c for c in dict.fromkeys(report.child_orders) if c not in have]
        room = MAX_CHILDREN - len(have)
        if new and len(have) < MAX_CHILDREN <= len(have) + len(new):
            capped.append({"order": report.order_id, "left_out": max(0, len(new) - room)})
        rows += [(panel, report.order_id, child, stamp) for child in new[: max(0, room)]]
        have.update(new[: max(0, room)])  # the same order twice in one write: read as one
    if rows:
        conn.executemany(_INSERT_CHILD, rows)
    runs = [(panel, r.order_id, r.runs, stamp) for r in parents if r.runs is not None]
    if runs:
        conn.executemany(_UPSERT_RUNS, runs)
    if capped:
        import structlog  # here: the read commands' start-up does without it

        structlog.get_logger("tracker.store").warning(
            "child_orders_capped", panel=panel, cap=MAX_CHILDREN, orders=capped
        )


def children_of(store: Connection, panel: str, order_id: int) -> dict[str, Any]:
    """Return what `history` shows of an order's children: ``runs`` and
    ``runs_said_at`` (None where no answer naming children gave runs) and
    ``orders``, each child's ``order_id`` and ``first_seen_at``, oldest first."""
    key = [panel, order_id]
    runs = store.rows("SELECT runs, said_at FROM child_runs WHERE panel = ? AND order_id = ?", key)
    children = store.rows(
        "SELECT child_id AS order_id, first_seen_at FROM child_orders"
        " WHERE panel = ? AND order_id = ? ORDER BY first_seen_at, child_id",
        key,
    )
    said = runs[0] if runs else {"runs": None, "said_at": None}
    return {"runs": said["runs"], "runs_said_at": said["said_at"], "orders": children}


# The parents :func:`parents_of` returns at most: a child ID is one order's;
# a panel naming it under many (a bug, or hostile) is not read without end.
MAX_PARENTS = 10

# INDEXED BY: with a panel given, SQLite would read that panel's every child
# by the primary key (for the ORDER BY) without the statistics ANALYZE makes.
_PARENTS = (
    "SELECT c.panel, c.order_id, c.first_seen_at, o.runs FROM child_orders AS c "
    "INDEXED BY child_orders_by_child "
    "JOIN orders AS o ON o.panel = c.panel AND o.order_id = c.order_id "
    "WHERE c.child_id = ?{on} ORDER BY c.panel, c.order_id LIMIT ?"
)
# Its place among its parent's children as `history` lists them: first seen,
# then by ID; by the primary key, at most MAX_CHILDREN rows.
_PLACE = (
    "SELECT count(*) AS children, "
    "sum(first_seen_at < ? OR (first_seen_at = ? AND child_id <= ?)) AS number "
    "FROM child_orders WHERE panel = ? AND order_id = ?"
)


def parents_of(store: Connection, child_id: int, panel: str | None) -> list[dict[str, Any]]:
    """Given an order ID and ``--panel`` (None: any panel), return the tracked
    orders whose status answers named it as a child order, at most
    MAX_PARENTS + 1 (one more than are shown: whether any were left out), by
    panel and ID: each one's ``panel``, ``order_id``, ``number`` (the child's
    place among its children, from 1, as `history` lists them), ``children``
    (how many it has), ``first_seen_at`` (when an answer first named the
    child) and ``drip_feed`` (its runs as placed are known: ``add --runs``,
    ``track --runs``). By m047's index, not every order's children."""
    on = " AND c.panel = ?" if panel is not None else ""
    key = [child_id, *([panel] if panel is not None else []), MAX_PARENTS + 1]
    found = []
    for row in store.rows(_PARENTS.format(on=on), key):
        seen = row["first_seen_at"]
        [place] = store.rows(_PLACE, [seen, seen, child_id, row["panel"], row["order_id"]])
        found.append(
            {
                "panel": row["panel"],
                "order_id": row["order_id"],
                "number": place["number"],
                "children": place["children"],
                "first_seen_at": seen,
                "drip_feed": row["runs"] is not None,
            }
        )
    return found


def any_children(store: Connection) -> bool:
    """Whether any order's status answers named a child order: most databases
    hold none, and a check by child ID reads nothing more there."""
    return bool(store.rows("SELECT 1 FROM child_orders LIMIT 1"))


def with_children(store: Connection, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Given order rows (streamed), yield each with ``children`` added last:
    how many child orders its status answers named (0 for most), read
    CHUNK orders at a time per panel by the primary key; a database holding
    no child order at all reads nothing more."""
    items = iter(rows)
    if not store.rows("SELECT 1 FROM child_orders LIMIT 1"):
        for row in items:
            row["children"] = 0
            yield row
        return
    while block := list(islice(items, CHUNK)):
        by_panel: dict[str, list[int]] = defaultdict(list)
        for row in block:
            by_panel[row["panel"]].append(row["order_id"])
        # By the span of the block's IDs: one seek where it holds no child
        # (most); a listing by ID's blocks of a panel are disjoint spans of
        # its IDs, so it reads each child row at most once (`--stalled`'s,
        # by stall, a few hundred open orders, may read one more than once).
        counts = {
            (panel, found["order_id"]): found["n"]
            for panel, ids in by_panel.items()
            for found in store.rows(
                "SELECT order_id, count(*) AS n FROM child_orders "
                "WHERE panel = ? AND order_id BETWEEN ? AND ? GROUP BY order_id",
                [panel, min(ids), max(ids)],
            )
        }
        for row in block:
            row["children"] = counts.get((row["panel"], row["order_id"]), 0)
            yield row

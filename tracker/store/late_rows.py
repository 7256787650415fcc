"""The rows of ``late_checks`` (m037) put up and taken down: ended orders put
up for their late checks (:func:`note_ended`, from
:func:`tracker.store.answers.write_answer`, in the transaction storing the
answer that ended them), and deleted when their checks are over, their marks
with them (:func:`delete`); :mod:`tracker.store.late_checks`, which reads the
due rows and stores a check's answer, re-exports its names.

An order whose charge a late check (or the poll that ended it, tracked
again) found given in another currency (kept:
:func:`tracker.rules.late_checks.late_update`) is marked in ``alert_state``
(kind ``order_currency_changed#<order ID>``, ``since`` when it was said), so
that ``order_currency_changed`` is said once for it, across polls and
``run --once`` runs, while its later checks are still made (a refund the
panel gives once it answers in the order's currency again is seen). The
mark goes with the order's row here, and with the order when ``prune``
deletes it (:func:`forget_marks`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any

from tracker.store.sql import chunks, placeholders

_ROWS = 500  # rows per INSERT: 4 values each, far below SQLite's bound-value limit

# alert_state's kind for an ended order whose charge a late check found in
# another currency and kept (``active`` 0, no alert): the change was said.
KEPT_SAID = "order_currency_changed#"


def note_ended(
    conn: sqlite3.Connection,
    panel: str,
    order_ids: list[int],
    stamp: str,
    repriced: Sequence[dict[str, Any]] = (),
) -> None:
    """Given orders a poll just stored as ended (in its transaction on
    ``conn``), put them up for their late checks, counted from ``stamp``;
    those the poll's ``repriced`` (its charge changes) has kept, their charge
    given in another currency, were said so by the poll: marked."""
    if kept := [r["order_id"] for r in repriced if r.get("kept")]:
        mark_said(conn, panel, kept, stamp, set(order_ids))
    for chunk in chunks(order_ids, _ROWS):
        values = ", ".join(["(?, ?, ?, 0)"] * len(chunk))
        conn.execute(
            f"INSERT INTO late_checks (panel, order_id, ended_at, checks) VALUES {values} "
            "ON CONFLICT (panel, order_id) DO UPDATE SET ended_at = excluded.ended_at, checks = 0",
            list(chain.from_iterable((panel, order_id, stamp) for order_id in chunk)),
        )


def mark_said(
    conn: sqlite3.Connection,
    panel: str,
    order_ids: list[int],
    stamp: str,
    of: set[int] | None = None,
) -> None:
    """Mark (KEPT_SAID) the orders of ``order_ids`` (those in ``of``, when
    given): their kept charge was said at ``stamp``."""
    rows = [(panel, f"{KEPT_SAID}{i}", stamp) for i in order_ids if of is None or i in of]
    if rows:  # nearly always none: the poll asks at each group of ended orders
        conn.executemany(
            "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 0, ?) "
            "ON CONFLICT (panel, kind) DO NOTHING",
            rows,
        )


def delete(conn: sqlite3.Connection, panel: str, order_ids: list[int]) -> None:
    """Delete the orders' rows, their checks over, and their marks with them."""
    for chunk in chunks(order_ids, _ROWS):
        conn.execute(
            f"DELETE FROM late_checks WHERE panel = ? AND order_id IN ({placeholders(chunk)})",
            [panel, *chunk],
        )
    forget_marks(conn, panel, order_ids)


def forget_marks(conn: sqlite3.Connection, panel: str, order_ids: Sequence[int]) -> None:
    """Delete the orders' KEPT_SAID marks (in the caller's transaction): their
    checks are over, or they go (``prune``: the same ID tracked again is an
    order of its own, whose change of currency is said)."""
    for chunk in chunks(order_ids, _ROWS):
        conn.execute(
            f"DELETE FROM alert_state WHERE panel = ? AND kind IN ({placeholders(chunk)})",
            [panel, *(f"{KEPT_SAID}{order_id}" for order_id in chunk)],
        )

"""SQL for ``order_watch``: each open order's eta and stall episode (m013).

Functions take a :class:`~tracker.store.orders.Store`. The judgements are made
in :mod:`tracker.rules.stalls`; this module only reads the facts and stores
the verdicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from tracker.clock import iso
from tracker.panel.statuses import COMPLETED, TERMINAL
from tracker.store.connection import Connection
from tracker.store.order_overview import FIRST_SEEN_COMPLETED
from tracker.store.sql import bound, chunks
from tracker.store.sql import placeholders as _marks

TERMINAL_ARGS = sorted(TERMINAL)
# An order the watch judges: polled, in a status that is not final (with
# TERMINAL_ARGS as its parameters).
OPEN = f"o.polling = 1 AND o.status IS NOT NULL AND o.status NOT IN ({_marks(TERMINAL_ARGS)})"
# An order stopped unfinished (lost, untracked: ``track`` resumes it), with
# TERMINAL_ARGS as its parameters.
STOPPED = f"o.polling = 0 AND o.status IS NOT NULL AND o.status NOT IN ({_marks(TERMINAL_ARGS)})"
_ROWS = 100  # watch rows per upsert statement: 1700 values, far below SQLite's limit
_COLUMNS = (
    "baseline_at",
    "baseline_remains",
    "eta",
    "eta_basis",
    "stalled_at",
    "stalled_change_at",
    "stall_reason",
)
_WATCHED = ", ".join(f"w.{c}" for c in _COLUMNS)


class OpenRow(NamedTuple):
    """One open order as the stall watch reads it, with its ``order_watch``
    columns (None when never judged; ``watched`` says whether it ever was)."""

    order_id: int
    status: str | None
    service: int | None
    quantity: int | None
    remains: int | None
    start_count: int | None
    charge: float | None
    currency: str | None
    created_at: str
    last_change_at: str | None
    baseline_at: str | None
    baseline_remains: int | None
    eta: str | None
    eta_basis: str | None
    stalled_at: str | None
    stalled_change_at: str | None
    stall_reason: str | None
    watched: int
    judged_key: str | None  # what the order was judged by last time (m015)
    recheck_at: str | None
    judge_key: str  # what it would be judged by now
    checked_at: str | None = None  # the last check the panel answered without an error
    next_check_at: str | None = None
    unchanged: int = 0  # 1: judged last by exactly these facts (m031's columns)
    median: float | None = None  # its service's median, as read with the row


# What a judgement depends on besides time and the stall settings: the
# order's status, remains, last change, service, and that service's median;
# as one text (m015's judged_key, kept for queries) and column by column
# (m031: the pass compares these, no text built for every open order).
_JUDGE_KEY = (
    "quote(o.status) || ',' || quote(o.remains) || ',' || quote(o.last_change_at)"
    " || ',' || quote(o.service) || ',' || quote(m.median)"
)
_JUDGED = ("judged_status", "judged_remains", "judged_change_at", "judged_service", "judged_median")
_UNCHANGED = (
    "(w.judged_status IS o.status AND w.judged_remains IS o.remains"
    " AND w.judged_change_at IS o.last_change_at AND w.judged_service IS o.service"
    " AND w.judged_median IS m.median)"
)


def open_orders(
    store: Connection,
    panel: str,
    *,
    after: int,
    limit: int,
    medians: dict[int, float] | None = None,
    due: datetime | None = None,
    among: Sequence[int] = (),
) -> list[OpenRow]:
    """Return up to ``limit`` of a panel's open orders (polled, with a status that
    is not terminal) above ID ``after``, each with its ``order_watch`` columns
    (NULL when never judged), by order ID; only those in ``among`` (at most
    CHUNK; give ``after`` below the least of them) when it is given.

    With ``due``, only the orders a judgement at ``due`` can change: never
    judged, changed since (status, remains, last change, service, or the
    service's median in ``medians``), or whose ``recheck_at`` has come.
    """
    found = sorted((medians or {}).items())
    known = ", ".join(["(?, ?)"] * len(found)) if found else "(NULL, NULL)"
    where = ""
    params: list[Any] = []
    if due is not None:
        where = f"AND (w.order_id IS NULL OR NOT {_UNCHANGED} OR w.recheck_at <= ?)"
        params.append(iso(due))
    # With ``among``, SQLite seeks each ID (the "+" keeps it from scanning the
    # index from ``after`` up instead: the IDs a poll changed lie anywhere in
    # the panel's orders, and a range from the least to the greatest of them
    # read every order in between, all of a million-order panel's).
    start = "o.order_id > ?"
    if among:
        start = "+o.order_id > ?"
        where += f" AND o.order_id IN ({_marks(among)})"
        params.extend(among)
    rows = store.tuples(
        f"""
        WITH m(service, median) AS (VALUES {known})
        SELECT o.order_id, o.status, o.service, o.quantity, o.remains, o.start_count,
               o.charge, o.currency, o.created_at, o.last_change_at, {_WATCHED},
               w.order_id IS NOT NULL AS watched, w.judged_key, w.recheck_at,
               {_JUDGE_KEY} AS judge_key,
               CASE WHEN o.error IS NULL THEN o.last_checked_at END, o.next_check_at,
               coalesce({_UNCHANGED}, 0), m.median
        FROM orders o
        LEFT JOIN order_watch w ON w.panel = o.panel AND w.order_id = o.order_id
        LEFT JOIN m ON m.service = COALESCE(o.service, 0)
        WHERE o.panel = ? AND {OPEN} AND {start} {where}
        ORDER BY o.order_id LIMIT ?
        """,
        [*(v for pair in found for v in pair), panel, *TERMINAL_ARGS, after, *params, limit],
    )
    return list(map(OpenRow._make, rows))


def watch_basis(store: Connection, panel: str) -> str | None:
    """Return the stall settings a panel's open orders were last all judged by."""
    rows = store.tuples("SELECT basis FROM watch_basis WHERE panel = ?", [panel])
    return rows[0][0] if rows else None


def save_basis(store: Connection, panel: str, basis: str, now: datetime) -> None:
    with store.write() as db:
        db.execute(
            "INSERT INTO watch_basis (panel, basis, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (panel) DO UPDATE SET basis = excluded.basis, "
            "updated_at = excluded.updated_at",
            [panel, basis, iso(now)],
        )


class ClosedRow(NamedTuple):
    """The watch row of an order that is no longer open, with its status,
    remains and last change, and whether it was stopped unfinished (lost,
    untracked) rather than finished."""

    order_id: int
    status: str | None
    remains: int | None
    last_change_at: str | None
    baseline_at: str | None
    baseline_remains: int | None
    eta: str | None
    eta_basis: str | None
    stalled_at: str | None
    stalled_change_at: str | None
    stall_reason: str | None
    stopped: int = 0


def closed_watches(store: Connection, panel: str) -> list[ClosedRow]:
    """Return the watch rows of a panel's orders that are no longer open, with
    the order's status and last change, and whether it is stopped unfinished
    (its stall episode may be kept for ``track``:
    :func:`tracker.rules.stalls.kept_while_stopped`). From the watch rows
    (one per judged open order, and those of orders ended since: ~0.5 µs a
    row, 10 ms at 20k open orders, ``python -m bench.watchpass``), each order
    looked up: SQLite chose to walk every order of the panel, finished ones
    included, at every stall pass."""
    rows = store.tuples(
        f"""
        SELECT w.order_id, o.status, o.remains, o.last_change_at,
               {_WATCHED}, coalesce({STOPPED}, 0)
        FROM order_watch w CROSS JOIN orders o ON o.panel = w.panel AND o.order_id = w.order_id
        WHERE w.panel = ? AND NOT ({OPEN})
        """,
        [*TERMINAL_ARGS, panel, *TERMINAL_ARGS],
    )
    return list(map(ClosedRow._make, rows))


def completed_durations(store: Connection, panel: str, since: datetime) -> list[tuple[int, float]]:
    """Return (service, seconds from first seen to Completed) of a panel's
    orders completed since ``since``: the samples of each service's median.

    Worked out by SQLite from the m023 index alone (the literal status is what
    lets it use that partial index); the timestamps are whole seconds, so the
    rounding gives what subtracting them in Python would. A timestamp it
    cannot read, or a completion before first seen, is no sample; nor is an
    order first seen already Completed (a backlog given to `track`: its
    completion is its first poll), as in order_overview (m051): the rowids of
    those, read once from m051's partial index of their first transitions and
    the primary key's, are left out (the m023 index holds each row's rowid)."""
    return store.tuples(
        f"""
        SELECT service, d FROM (
            SELECT service,
                   round((julianday(completed_at) - julianday(created_at)) * 86400.0) AS d
            FROM orders
            WHERE status = '{COMPLETED}' AND panel = ?1 AND completed_at >= ?2
              AND service IS NOT NULL
              AND rowid NOT IN (SELECT o.rowid FROM transitions AS t
                                JOIN orders AS o ON o.panel = t.panel AND o.order_id = t.order_id
                                WHERE t.panel = ?1 AND {FIRST_SEEN_COMPLETED})
        ) WHERE d >= 0
        """,
        [panel, iso(since)],
    )


def save_watches(
    store: Connection, panel: str, states: list[tuple[Any, ...]], now: datetime
) -> None:
    """Given rows of (order ID, baseline_at, baseline_remains, eta, eta_basis,
    stalled_at, stalled_change_at, stall_reason, judged_key, recheck_at, and
    the status, remains, last change, service and median judged by), upsert
    them in one transaction.

    Each None is bound as a NaN, which SQLite stores as NULL (it keeps no
    NaN; :func:`~tracker.store.sql.bound`): the sqlite3 module binds
    a float as it is but looks a None up in its adapters first, ~0.2 µs
    each, and a row holds five or more (1.0 µs of the 2.7 an upsert of 20k
    rows took a row). The panel and the stamp, the same in every row, are
    bound once a statement (?1, ?2)."""
    if not states:
        return
    stamp = iso(now)
    with store.write() as db:
        for chunk in chunks(states, _ROWS):
            db.conn.execute(_upsert_sql(len(chunk)), [panel, stamp, *bound(chunk)])


@lru_cache(maxsize=4)
def _upsert_sql(rows: int) -> str:
    """Return one upsert of ``rows`` watch rows: one statement, one step in
    SQLite (see :mod:`tracker.store.answers`). The panel is ?1 and the stamp
    ?2 in every row; each ``?`` after them takes the next number, so each
    row's own values follow them in order. (Numbering every value instead
    costs SQLite a look-up of each number among all the others, ~4k
    instructions a value once a statement is prepared.)"""
    columns = (*_COLUMNS, "judged_key", "recheck_at", *_JUDGED)
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    one = f"(?1, ?2, ?, {_marks(columns)})"
    return (
        f"INSERT INTO order_watch (panel, updated_at, order_id, {names}) "
        f"VALUES {', '.join([one] * rows)} "
        f"ON CONFLICT (panel, order_id) DO UPDATE SET {updates}, "
        "updated_at = excluded.updated_at"
    )


def drop_watches(store: Connection, panel: str, order_ids: Iterable[int]) -> None:
    """Forget the watch rows of orders that are no longer open (but for a
    stopped order's open stall episode, kept for ``track``)."""
    ids = list(order_ids)
    if not ids:
        return
    with store.write() as db:
        for chunk in chunks(ids):
            db.conn.execute(
                f"DELETE FROM order_watch WHERE panel = ? AND order_id IN ({_marks(chunk)})",
                [panel, *chunk],
            )

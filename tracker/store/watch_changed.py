"""The open orders read narrowly for the stall watch's quick judgement.

:func:`changed_orders` reads, of each order a poll changed (the judging
ahead), and :func:`due_orders`, of each open order the watch's pass judges,
what :func:`tracker.jobs.judging.quick_row` needs (18 of the 25 columns of
:func:`tracker.store.watch.open_orders`) and works out its judge key (what
m015's ``judged_key`` stores: SQLite's ``quote()`` of each fact, joined by
commas) in Python rather than in SQL: 3.0 against 4.1 µs a row for 20k
changed orders (the quoting and joining cost SQLite ~1 µs a row, the seven
columns more ~0.7); a text met again in the same read (a poll's statuses
and stamp) is quoted once. :func:`quote` answers as ``quote()`` does for
the values it knows (text without a NUL, integers, NULL) and asks SQLite
for any other; the facts and keys are :func:`~tracker.store.watch.open_orders`' own,
``tests/test_watch_changed.py`` and ``tests/test_watch_pass_narrow.py``
check on generated orders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from tracker.clock import iso
from tracker.store.connection import Connection
from tracker.store.sql import placeholders as _marks
from tracker.store.watch import _UNCHANGED, _WATCHED, OPEN, TERMINAL_ARGS, OpenRow


class ChangedRow(NamedTuple):
    """One open order as the narrow reads give it: the fields of
    :class:`~tracker.store.watch.OpenRow` that :func:`~tracker.jobs.judging.
    quick_row` reads, the same values."""

    order_id: int
    status: str | None
    service: int | None
    remains: int | None
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
    recheck_at: str | None
    unchanged: int
    median: float | None
    judge_key: str


_NARROW = itemgetter(*(OpenRow._fields.index(name) for name in ChangedRow._fields))


def narrowed(row: OpenRow) -> ChangedRow:
    """Return the fields of a full row that :class:`ChangedRow` holds."""
    return ChangedRow._make(_NARROW(row))


def quote(value: Any, ask: Callable[[Any], str]) -> str:
    """Return SQLite's ``quote()`` of a value read from it: worked out for
    NULL, an integer and text without a NUL (which ``quote()`` cuts at),
    ``ask(value)`` (SQLite itself) for anything else."""
    if value is None:
        return "NULL"
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return ask(value)


def changed_orders(
    store: Connection, panel: str, among: Sequence[int], medians: dict[int, float]
) -> list[ChangedRow]:
    """Return those of a panel's orders ``among`` (IDs, at most CHUNK) that
    are open, by order ID, as :func:`~tracker.store.watch.open_orders` with
    ``among`` reads them, the fields of :class:`ChangedRow` only."""
    if not among:
        return []
    # the "+" keeps SQLite seeking each ID (see open_orders)
    where = f"+o.order_id > ? AND o.order_id IN ({_marks(among)})"
    return _narrow(store, panel, medians, where, [min(among) - 1, *among], len(among))


def due_orders(
    store: Connection,
    panel: str,
    *,
    after: int,
    limit: int,
    medians: dict[int, float],
    due: datetime | None,
) -> list[ChangedRow]:
    """Return up to ``limit`` of a panel's open orders above ID ``after``, by
    order ID, as :func:`~tracker.store.watch.open_orders` with ``due`` reads
    them (None: every open order), the fields of :class:`ChangedRow` only:
    the watch's pass reads in full only those the quick judgement leaves."""
    where, params = "o.order_id > ?", [iso(due)] if due is not None else []
    if due is not None:
        where += f" AND (w.order_id IS NULL OR NOT {_UNCHANGED} OR w.recheck_at <= ?)"
    return _narrow(store, panel, medians, where, [after, *params], limit)


def _narrow(
    store: Connection,
    panel: str,
    medians: dict[int, float],
    where: str,
    params: list[Any],
    limit: int,
) -> list[ChangedRow]:
    """Return a panel's open orders that also meet ``where`` (with ``params``),
    at most ``limit`` of them by order ID, as :class:`ChangedRow`."""
    found = sorted(medians.items())
    # Each median quoted once, by SQLite: a float's text is its own.
    known = ", ".join(["(?, ?, quote(?))"] * len(found)) if found else "(NULL, NULL, NULL)"

    def ask(value: Any) -> str:
        return str(store.tuples("SELECT quote(?)", [value])[0][0])

    rows = store.tuples(
        f"""
        WITH m(service, median, quoted) AS (VALUES {known})
        SELECT o.order_id, o.status, o.service, o.remains, o.created_at, o.last_change_at,
               {_WATCHED}, w.order_id IS NOT NULL, w.recheck_at,
               coalesce({_UNCHANGED}, 0), m.median, m.quoted
        FROM orders o
        LEFT JOIN order_watch w ON w.panel = o.panel AND w.order_id = o.order_id
        LEFT JOIN m ON m.service = COALESCE(o.service, 0)
        WHERE o.panel = ? AND {OPEN} AND {where}
        ORDER BY o.order_id LIMIT ?
        """,
        [
            *(v for service, median in found for v in (service, median, median)),
            panel,
            *TERMINAL_ARGS,
            *params,
            limit,
        ],
    )
    # Text seen before in this read is quoted once (a poll's changed orders
    # share a few statuses and its stamp); an integer is its digits.
    texts: dict[str, str] = {}

    def text(value: Any) -> str:
        quoted = quote(value, ask)
        if type(value) is str:
            texts[value] = quoted
        return quoted

    return [
        ChangedRow._make(
            (
                *row[:17],
                f"{texts.get(row[1]) or text(row[1])},"
                f"{str(row[3]) if type(row[3]) is int else quote(row[3], ask)},"
                f"{texts.get(row[5]) or text(row[5])},"
                f"{str(row[2]) if type(row[2]) is int else quote(row[2], ask)},"
                f"{row[17] or 'NULL'}",
            )
        )
        for row in rows
    ]

"""``late_checks`` (m037): ended orders waiting to be asked again for a late
refund (:mod:`tracker.rules.late_checks` decides), and what such a check's
answer stores.

A row is written in the transaction that stores the answer ending the order
(:func:`note_ended`, from :func:`tracker.store.answers.write_answer`: only for
orders whose polling just stopped, never for an open order's answer; it, and
the rows deleted with their marks, are :mod:`tracker.store.late_rows`'). Due
rows are read by the index ``late_checks_due`` (panel, checks, ended_at): one
range per check moment, whatever the number of orders. A check's answer, or
its failure, is stored by :func:`store_late` in one transaction.

An order whose charge a late check found given in another currency, and
kept, is marked (``KEPT_SAID``, :mod:`tracker.store.late_rows`): its
``order_currency_changed`` is said once, its later checks still made.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

from tracker.clock import iso
from tracker.panel.statuses import is_terminal
from tracker.rules.late_checks import (
    LATE_STATUSES,
    checks_after,
    ended_before,
    late_update,
    retried_after_failed_call,
)
from tracker.rules.status_tuples import TRANSITION_COLUMNS
from tracker.rules.transitions import NOT_IN_ANSWER
from tracker.store.connection import Connection
from tracker.store.late_rows import (  # noqa: F401  (re-exported: used as late_checks.X)
    KEPT_SAID,
    forget_marks,
    note_ended,
)
from tracker.store.late_rows import delete as _delete
from tracker.store.late_rows import mark_said as _mark_said
from tracker.store.sql import placeholders

if TYPE_CHECKING:  # a type only
    from tracker.panel.models import OrderStatus

_READ = (
    "order_id",
    "ended_at",
    "checks",
    "status",
    "remains",
    "quantity",
    "runs",
    "charge",
    "currency",
    "last_checked_at",
    "created_at",
    "polling",
    "stopped_by",
)


_SAID = (
    "EXISTS (SELECT 1 FROM alert_state s WHERE s.panel = l.panel "
    f"AND s.kind = '{KEPT_SAID}' || l.order_id)"
)
# The columns store_late reads: _READ's and whether the order was marked.
_COLUMNS = ", ".join(["l." + c if c in _READ[:3] else "o." + c for c in _READ] + [_SAID])


def due_late_ids(
    store: Connection, panel: str, now: datetime, delays: Sequence[float], limit: int
) -> list[int]:
    """Return up to ``limit`` IDs of the panel's ended orders whose next late
    check is due at ``now``, the earliest moments first. Rows whose order is
    open again, stopped (untracked, lost) or gone, and rows past the last
    check (``late_checks`` shortened), are deleted instead."""
    found: list[int] = []
    dropped: list[int] = []
    for done, delay in enumerate(delays):
        rows = store.tuples(
            "SELECT l.order_id, o.polling, o.stopped_by FROM late_checks l "
            "LEFT JOIN orders o ON o.panel = l.panel AND o.order_id = l.order_id "
            "WHERE l.panel = ? AND l.checks = ? AND l.ended_at <= ? "
            "ORDER BY l.ended_at, l.order_id LIMIT ?",
            [panel, done, ended_before(now, delay), limit - len(found)],
        )
        for order_id, polling, stopped_by in rows:
            (found if polling == 0 and stopped_by is None else dropped).append(order_id)
        if len(found) >= limit:
            break
    past = store.tuples(
        "SELECT order_id FROM late_checks WHERE panel = ? AND checks >= ? LIMIT ?",
        [panel, len(delays), limit],
    )
    dropped += [row[0] for row in past]
    if dropped:
        with store.write() as db:
            _delete(db.conn, panel, dropped)
    return found


@dataclass
class LateStored:
    """What :func:`store_late` stored: transitions, charge changes
    (order_id, before, after), refunds (for ``order_refunded``), orders open
    again, the orders whose check failed: (order_id, why, whether it was
    their last), those charged more (for ``order_charge_raised``), and those
    whose charge was kept, the answer giving it in another currency (said
    once an order: not at a later check's, marked KEPT_SAID)."""

    transitions: list[dict[str, Any]] = field(default_factory=list)
    repriced: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    failed: list[tuple[int, str, bool]] = field(default_factory=list)
    raised: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)


def store_late(
    store: Connection,
    panel: str,
    asked: list[int],
    reports: dict[int, OrderStatus],
    now: datetime,
    delays: Sequence[float],
    *,
    failed: str | None = None,
) -> LateStored:
    """Store one late-check batch in one transaction: each answered order's
    changes (:func:`tracker.rules.late_checks.late_update`) and its check
    counted. An order the answer gave no status for (its error, left out),
    or every order of the batch when ``failed`` (the whole call failed: why),
    keeps everything stored. An order's own failure counts as its check made
    (asked at the next moment, or no more after the last); a whole call's
    does not: tried again at the next poll, until a day past the last
    moment (:func:`tracker.rules.late_checks.retried_after_failed_call`)."""
    stamp, out = iso(now), LateStored()
    with store.write() as db:
        conn = db.conn
        cursor = conn.execute(
            f"SELECT {_COLUMNS} "
            "FROM late_checks l JOIN orders o ON o.panel = l.panel AND o.order_id = l.order_id "
            f"WHERE l.panel = ? AND l.order_id IN ({placeholders(asked)})",
            [panel, *asked],
        )
        updates: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
        counted: list[tuple[int, int]] = []
        gone: list[int] = []
        said: list[int] = []  # charges kept, said now: marked (KEPT_SAID)
        for values in cursor.fetchall():
            row = dict(zip((*_READ, "said"), values, strict=True), panel=panel)
            order_id, report = row["order_id"], reports.get(row["order_id"])
            if row["polling"] != 0 or row["stopped_by"] is not None:
                gone.append(order_id)  # open again or stopped meanwhile: not a late check's
                continue
            if failed is not None and retried_after_failed_call(row["ended_at"], now, delays):
                out.failed.append((order_id, failed, False))  # due still: tried next poll
                continue
            checks = checks_after(row["checks"], row["ended_at"], now, delays)
            last = checks >= len(delays)
            answered = report is not None and report.error is None and report.status is not None
            why = failed or (report.error if report is not None else None) or NOT_IN_ANSWER
            change = None
            if failed is None and answered and report is not None:
                change = late_update(row, report, stamp)
                if change.reopened and _reopened(conn, panel, order_id):
                    why, change = f"open again ({report.raw_status}) once more: not followed", None
            if change is not None:
                updates[tuple(change.changes)].append([*change.changes.values(), panel, order_id])
                if change.kept is not None and row["said"]:  # said at an earlier check
                    change = change._replace(kept=None)
                elif change.kept is not None:
                    said.append(order_id)
                _collect(out, change, panel)
                last = last or change.reopened
            else:
                out.failed.append((order_id, why, last))
            if last:
                gone.append(order_id)
            else:
                counted.append((checks, order_id))
        for columns, params in updates.items():
            sets = ", ".join(f"{c} = ?" for c in columns)
            conn.executemany(f"UPDATE orders SET {sets} WHERE panel = ? AND order_id = ?", params)
        if out.transitions:
            marks = ", ".join("?" * len(TRANSITION_COLUMNS))
            conn.executemany(
                f"INSERT INTO transitions ({', '.join(TRANSITION_COLUMNS)}) VALUES ({marks})",
                [[t[c] for c in TRANSITION_COLUMNS] for t in out.transitions],
            )
        conn.executemany(
            "UPDATE late_checks SET checks = ? WHERE panel = ? AND order_id = ?",
            [(checks, panel, order_id) for checks, order_id in counted],
        )
        _mark_said(conn, panel, said, stamp)
        _delete(conn, panel, gone)
    return out


def _reopened(conn: sqlite3.Connection, panel: str, order_id: int) -> bool:
    """Whether a late check re-opened the order before (a status change from
    an ended status to an open one: only a late check stores one). A panel
    answering its late checks with an open status and its polls with the
    ended one made a new ``order_canceled`` every hour, for ever: it is
    followed once."""
    rows = conn.execute(
        "SELECT from_status, to_status FROM transitions WHERE panel = ? AND order_id = ?",
        [panel, order_id],
    )
    return any(f in LATE_STATUSES and not is_terminal(t) for f, t in rows)


def _collect(out: LateStored, change: Any, panel: str) -> None:
    if change.transition is not None:
        out.transitions.append(change.transition)
    if change.repriced is not None:
        out.repriced.append(change.repriced)
    if change.refund is not None:
        out.refunds.append({"panel": panel, **change.refund})
    if change.raised is not None:
        out.raised.append({"panel": panel, **change.raised})
    if change.reopened:
        out.reopened.append(change.transition["order_id"])
    if change.kept is not None:
        out.kept.append(change.kept)


def backlog_query(
    now: datetime, delays: Sequence[float], overdue_after: float
) -> tuple[str, tuple[Any, ...]]:
    """doctor's query (``delays`` not empty): per panel and checks had, the
    ended orders waiting (still ended and tracked), those whose next check is
    due at ``now``, those due for more than ``overdue_after`` seconds, and
    the earliest end among the due ones. One range of the index per moment."""
    values = ", ".join(["(?, ?, ?)"] * len(delays))
    sql = (
        f"WITH due (checks, since, overdue) AS (VALUES {values}) "
        "SELECT l.panel, l.checks, count(*), sum(l.ended_at <= d.since), "
        "sum(l.ended_at <= d.overdue), min(CASE WHEN l.ended_at <= d.since THEN l.ended_at END) "
        "FROM late_checks l JOIN due d ON d.checks = l.checks "
        "JOIN orders o ON o.panel = l.panel AND o.order_id = l.order_id "
        "WHERE o.polling = 0 AND o.stopped_by IS NULL "
        "GROUP BY l.panel, l.checks ORDER BY l.panel, l.checks"
    )
    params = chain.from_iterable(
        (done, ended_before(now, delay), ended_before(now, delay + overdue_after))
        for done, delay in enumerate(delays)
    )
    return sql, tuple(params)

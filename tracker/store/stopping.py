"""Stopping the polling of orders: ``untrack`` (``track`` resumes them, see
:mod:`tracker.store.tracking`).

An order the user untracks keeps its row and its history; ``polling`` goes
to 0 and ``stopped_by`` / ``stop_reason`` / ``stopped_at`` (m008) say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tracker.clock import iso
from tracker.panel.statuses import is_terminal
from tracker.store.listing import BY_USER
from tracker.store.orders import Store
from tracker.store.sql import chunks, placeholders


@dataclass
class Untracked:
    """What ``untrack`` did with each order it was given."""

    stopped: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)  # untracked before: left as it was
    finished: dict[int, str] = field(default_factory=dict)  # ID -> final status: nothing to stop
    unknown: list[int] = field(default_factory=list)  # not tracked on this panel


def untrack(
    store: Store, panel: str, order_ids: list[int], now: datetime, reason: str | None = None
) -> Untracked:
    """Given tracked orders, stop polling the unfinished ones, in one transaction.

    An order the panel had given up on (lost) becomes the user's. Finished
    orders (a terminal status) are left alone: they are not polled anyway, and
    their refill guarantee still runs.
    """
    result = Untracked()
    stamp = iso(now)
    with store.write() as db:
        for chunk in chunks(sorted(set(order_ids))):
            rows = {
                r[0]: r[1:]
                for r in db.conn.execute(
                    "SELECT order_id, polling, stopped_by, status FROM orders "
                    f"WHERE panel = ? AND order_id IN ({placeholders(chunk)})",
                    [panel, *chunk],
                )
            }
            stop_now = []
            for order_id in chunk:
                if order_id not in rows:
                    result.unknown.append(order_id)
                    continue
                polling, stopped_by, status = rows[order_id]
                if stopped_by == BY_USER:
                    result.already.append(order_id)
                elif not polling and stopped_by is None and is_terminal(status):
                    result.finished[order_id] = status or "-"
                else:
                    stop_now.append(order_id)
            result.stopped.extend(stop_now)
            db.conn.executemany(
                "UPDATE orders SET polling = 0, stopped_by = ?, stop_reason = ?, stopped_at = ?, "
                "updated_at = ? WHERE panel = ? AND order_id = ?",
                [(BY_USER, reason, stamp, stamp, panel, i) for i in stop_now],
            )
    return result

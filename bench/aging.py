"""Age a freshly polled database into a mature backlog, with the tracker's own rules.

A real backlog of N orders was tracked a few at a time over days, and the
quiet ones have backed off. Replaying days of five-minute polls over N
orders would take hours, so orders are grouped into tracking cohorts (one
per poll slot over ``days``): every order of a cohort has the same history,
which :func:`replay` computes once with :func:`tracker.rules.transitions.next_check`
exactly as the poller would (checks happen at poll starts; an order is
checked at the first poll on or after its next-check time). One UPDATE then
writes each order's cohort state. The orders never moved after their first
status (the simulator pins them), so that is their last change.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tracker.clock import iso
from tracker.rules.transitions import Cadence, next_check


@dataclass(frozen=True)
class CohortState:
    tracked_at: datetime  # first check; the status never changed after it
    last_checked_at: datetime
    next_check_at: datetime


def replay(tracked_at: datetime, now: datetime, cadence: Cadence) -> CohortState:
    """Given when a quiet order was first checked, return its state just before
    the poll that starts at ``now`` (polls start every ``cadence.every``)."""
    step = timedelta(seconds=cadence.every)
    checked = tracked_at
    while True:
        due = next_check(checked, tracked_at, cadence)
        polls_later = math.ceil((due - tracked_at) / step)
        following = tracked_at + polls_later * step
        if following >= now:
            return CohortState(tracked_at, checked, due)
        checked = following


def age_backlog(
    db_path: Path, panel: str, now: datetime, cadence: Cadence, *, days: float = 7.0
) -> dict[str, int]:
    """Rewrite the open orders of ``panel`` as if tracked evenly over the ``days``
    before ``now``; return how many orders and how many of them are due at ``now``."""
    slots = max(1, int(days * 86400 / cadence.every))
    step = timedelta(seconds=cadence.every)
    states = [replay(now - (k + 1) * step, now, cadence) for k in range(slots)]
    conn = sqlite3.connect(db_path)
    try:
        conn.execute(
            "CREATE TEMP TABLE cohort (k INTEGER PRIMARY KEY, changed TEXT, checked TEXT, due TEXT)"
        )
        conn.executemany(
            "INSERT INTO cohort VALUES (?, ?, ?, ?)",
            [
                (k, iso(s.tracked_at), iso(s.last_checked_at), iso(s.next_check_at))
                for k, s in enumerate(states)
            ],
        )
        with conn:
            conn.execute(
                """
                UPDATE orders SET last_change_at = cohort.changed,
                    last_checked_at = cohort.checked, updated_at = cohort.checked,
                    next_check_at = cohort.due
                FROM cohort WHERE cohort.k = orders.order_id % ? AND orders.panel = ?
                    AND orders.polling = 1
                """,
                [slots, panel],
            )
        total, due = conn.execute(
            "SELECT count(*), sum(next_check_at <= ?) FROM orders WHERE panel = ? AND polling = 1",
            [iso(now), panel],
        ).fetchone()
    finally:
        conn.close()
    return {"orders": total, "due": due or 0, "cohorts": slots}

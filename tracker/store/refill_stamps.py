"""Refill requests stamped by a wall clock since set back (:mod:`tracker.jobs.refill_follow`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.clock import iso, iso_up
from tracker.rules.clocksteps import STEP_SECONDS
from tracker.store.orders import Store


def restamp_future_requests(store: Store, panel: str, now: datetime) -> int:
    """Stamp a panel's refill requests dated more than STEP_SECONDS after
    ``now`` at ``now``; return how many. A clock since set back stamped them:
    the request really left before ``now``, so its cooldown counting from
    ``now`` never lets the next one out early, and no longer waits for the
    clock to catch up (a row left Requesting by a dead run is settled a grace
    after ``now``)."""
    ahead = iso(now + timedelta(seconds=STEP_SECONDS))
    # A read first: no write transaction at every round (none on a database
    # that cannot be written, where a round with nothing to do succeeds).
    ahead_of = "WHERE panel = ? AND requested_at > ?"
    if not store.tuples(f"SELECT 1 FROM refills {ahead_of} LIMIT 1", [panel, ahead]):
        return 0
    with store.write() as db:
        cursor = db.conn.execute(
            f"UPDATE refills SET requested_at = ? {ahead_of}",
            [iso_up(now), panel, ahead],
        )
        return int(cursor.rowcount or 0)

"""A refill round reads each order back its own window (the guarantee its
service's name says, else refill.window), not the panel's longest."""

from __future__ import annotations

from typing import Any

from refill_world import DAY
from test_sim_named_guarantees import LONG

import tracker.jobs.refills as refill_job
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_TELEGRAM, SERVICE_TIKTOK


def _read_by_round(monkeypatch) -> list[int]:
    """The order IDs the refill round's reads return, as it reads them."""
    read: list[int] = []
    real = refill_job.candidate_orders

    def spy(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        rows = real(*args, **kwargs)
        read.extend(r["order_id"] for r in rows)
        return rows

    monkeypatch.setattr(refill_job, "candidate_orders", spy)
    return read


def _completed(w, *services: int) -> list[int]:
    ids = [w.order(service) for service in services]
    w.poll()  # Completed, as the tracker saw it now
    return ids


# --- each order read back its own window


def test_a_round_reads_each_order_back_its_own_window_not_the_longest(world, clock, monkeypatch):
    w = world(catalogue=LONG)
    w.sync_services()
    old = _completed(w, SERVICE_FOLLOWERS, SERVICE_TIKTOK, SERVICE_TELEGRAM)
    clock.advance(100 * DAY)
    new = _completed(w, SERVICE_FOLLOWERS, SERVICE_TIKTOK, SERVICE_TELEGRAM)
    clock.advance(20 * DAY)  # the old ones 120 days completed, the new ones 20
    read = _read_by_round(monkeypatch)
    assert w.round()
    old_r30, old_lifetime, old_r90 = old
    # The R30 and R90 orders past their windows are not read; the lifetime
    # one is (its 365 days), and each order still inside its window.
    assert sorted(read) == sorted([old_lifetime, *new])
    asked = {o for o in [*old, *new] if w.requests(o)}
    assert asked == {old_lifetime, *new}  # the decisions: as before
    assert w.requests(old_r30) == [] and w.requests(old_r90) == []

"""A re-order of a drip-feed Partial (tracked with `track --runs`) on a
service whose synced catalogue says it takes no drip-feed: the re-order
buys the undelivered remainder as one ordinary order, no runs, no interval,
so the panel does not refuse it for drip-feed (the simulated panel refuses
runs on such a service). Against the simulated panel, its clock shared."""

from __future__ import annotations

import sqlite3

from automation_kit import REORDER, run
from refill_world import World

from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql


def test_a_drip_feed_partial_is_reordered_as_one_order_without_runs(world, tmp_path):
    w: World = world(automation=REORDER)
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    with sqlite3.connect(tmp_path / "t.db") as db:  # as `track ID --runs 2 --interval 10` does
        db.execute("UPDATE orders SET runs = 2, interval = 10 WHERE order_id = ?", [parent])
    w.poll()
    left = w.panel.order(parent).remains
    assert run(w)

    (action,) = [a for a in automation_sql.actions(w.store) if a["action"] == "reorder"]
    assert action["order_id"] == parent and action["status"] == "Placed", action
    assert w.panel.calls["add"] == 1
    child = w.store.order("sim", action["new_order_id"])
    assert child["runs"] is None and child["interval"] is None
    assert child["quantity"] == action["quantity"] == max(left, 100)
    assert w.panel.order(action["new_order_id"]).quantity == max(left, 100)  # one order, no runs

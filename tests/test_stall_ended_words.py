"""order_moving says "ended" for a stalled order that ended, never "moving again".

Found in a simulated month: a follower order stuck Pending stalled, the
automation cancelled it a day later, and the alert that closed its stall read
"order #23541 is moving again (Canceled, remains 1000) after 20h50m stalled".
Since then an order that ends Canceled or Partial ends its stall episode with
its own alert (order_canceled, order_partial), and no order_moving at all
(tests/test_alert_lifecycles.py): "ended" is said of one that ends Completed.
"""

from __future__ import annotations

from refill_world import H, World

from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store.alerts import alerts_since

STEP = 600.0


def moving(w: World, hours: float) -> list[str]:
    for _ in range(int(hours * H / STEP)):
        w.clock.advance(STEP)
        w.poll()
        assert w.jobs["automation:sim"].run()
    rows = alerts_since(w.store, None, limit=100)
    return [a["message"] for a in rows if a["kind"] == "order_moving"]


def test_a_stalled_order_that_ends_is_said_to_have_ended(world) -> None:
    w = world()
    w.sync_services()
    stuck, busy = w.order(SERVICE_FOLLOWERS, "Pending"), w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    assert moving(w, 13) == []  # both stalled: Pending past 12h, In progress past 6h
    w.panel.pin(stuck, "Canceled")
    assert moving(w, 0.5) == []  # its order_canceled told it
    w.panel.pin(busy, "Completed")
    (ended,) = moving(w, 0.5)
    assert ended.startswith(f"sim: order #{busy} ended Completed (remains 0) after ")
    assert ended.endswith(" stalled") and "moving again" not in ended

"""A refund the panel makes after the order ended (schedule.late_checks).

Some panel scripts set an order Canceled or Partial first and give the
money back minutes to hours later. Against the simulated panel
(tests/refill_world.py), on the test's clock, the tracker asks such an order
again 1 h, 6 h and 24 h after it ended, in its polls' multi-status calls:
what ``orders``, ``report`` and the alerts say is what the panel charges now.
"""

from __future__ import annotations

import sqlite3

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY, H, World
from structlog.testing import capture_logs

from tracker.sim.orders import OrderView
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel
from tracker.store.alerts import alerts_since


class LateRefundPanel(SimulatedPanel):
    """A panel script that changes an order's charge when it likes: the
    orders in ``charges`` are answered with that charge, those in ``statuses``
    with that status; those in ``refused`` with the item error a panel gives
    an order it does not find."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.charges: dict[int, str] = {}
        self.statuses: dict[int, str] = {}
        self.refused: set[int] = set()

    def _order_item(self, view: OrderView) -> dict:
        if view.order_id in self.refused:
            return {"error": "Incorrect order ID"}
        item = super()._order_item(view)
        if view.order_id in self.charges:
            item["charge"] = self.charges[view.order_id]
        if view.order_id in self.statuses:
            item["status"] = self.statuses[view.order_id]
        return item


def ended(w: World, status: str, charge: str = "1.00") -> int:
    """An order the tracker saw In progress, then end ``status`` charged ``charge``."""
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    w.panel.charges[order_id] = charge
    w.panel.pin(order_id, status)
    w.poll()
    assert stored(w, order_id)["status"] == status
    return order_id


def stored(w: World, order_id: int) -> dict:
    order = w.store.order("sim", order_id)
    assert order is not None
    return order


def alerts(w: World, kind: str) -> list[dict]:
    return [a for a in alerts_since(w.store, None, limit=100) if a["kind"] == kind]


def after(w: World, seconds: float) -> None:
    """Move the clock on by ``seconds`` and poll, as the daemon would."""
    w.clock.advance(seconds)
    w.poll()


def test_a_canceled_order_refunded_an_hour_later_is_stored_and_alerted(world):
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Canceled")
    assert stored(w, order_id)["charge"] == 1.0
    w.panel.charges[order_id] = "0.00"  # the panel script refunds it later
    after(w, 59 * 60)
    assert stored(w, order_id)["charge"] == 1.0  # no late check before 1 h
    assert alerts(w, "order_refunded") == []
    after(w, 60)
    assert stored(w, order_id)["charge"] == 0.0
    [alert] = alerts(w, "order_refunded")
    assert alert["message"] == (
        f"sim: order #{order_id} refunded after it ended Canceled: charge 1.00 -> 0.00 USD"
    )
    assert alert["data"]["orders"] == [
        {
            "order_id": order_id,
            "status": "Canceled",
            "charge_before": 1.0,
            "charge": 0.0,
            "currency": "USD",
        }
    ]
    listing = w.cli("orders", "--json")
    assert [o["charge"] for o in _json(listing.output) if o["order_id"] == order_id] == [0.0]
    after(w, 6 * H)  # the 6 h check: nothing new, no second alert
    assert len(alerts(w, "order_refunded")) == 1


def test_checks_come_at_1h_6h_and_24h_and_none_after_the_last(world):
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Partial", "0.90")
    w.panel.charges[order_id] = "0.60"
    after(w, H)
    assert stored(w, order_id)["charge"] == 0.6
    w.panel.charges[order_id] = "0.30"
    after(w, 4 * H)  # 5 h after the end: not yet
    assert stored(w, order_id)["charge"] == 0.6
    after(w, H)
    assert stored(w, order_id)["charge"] == 0.3
    w.panel.charges[order_id] = "0.10"
    after(w, 18 * H)
    assert stored(w, order_id)["charge"] == 0.1
    w.panel.charges[order_id] = "0.00"  # after the last check: never seen
    for _ in range(4):
        after(w, DAY)
    assert stored(w, order_id)["charge"] == 0.1
    assert len(alerts(w, "order_refunded")) == 3
    assert _late_rows(w) == 0  # nothing left waiting


def test_a_partial_the_panel_later_calls_refunded_takes_that_status(world):
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Partial", "0.45")
    w.panel.charges[order_id] = "0.00"
    w.panel.statuses[order_id] = "Refunded"
    after(w, H)
    order = stored(w, order_id)
    assert (order["status"], order["charge"], order["polling"]) == ("Refunded", 0.0, 0)
    assert [h["to_status"] for h in w.store.history("sim", order_id)][-1] == "Refunded"
    [alert] = alerts(w, "order_refunded")
    assert alert["message"].endswith("ended Partial, now Refunded: charge 0.45 -> 0.00 USD")


def test_a_canceled_order_charged_more_after_it_ended_is_alerted(world):
    """Money taken for an order the panel had finished with: a warning alert
    (it was one log line alone), once, and a refund at a later check still
    its own alert."""
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Canceled", "0.00")
    other = ended(w, "Partial", "0.40")
    w.panel.charges.update({order_id: "1.25", other: "0.90"})
    after(w, H)
    [alert] = alerts(w, "order_charge_raised")
    assert alert["severity"] == "warning"
    assert alert["message"] == (
        f"sim: 2 orders charged more after they ended: #{order_id} 0.00 -> 1.25 USD, "
        f"#{other} 0.40 -> 0.90 USD"
    )
    assert [(o["order_id"], o["charge_before"], o["charge"]) for o in alert["data"]["orders"]] == [
        (order_id, 0.0, 1.25),
        (other, 0.4, 0.9),
    ]
    assert alerts(w, "order_refunded") == []
    w.panel.charges[order_id] = "0.00"  # given back at the 6 h check
    after(w, 5 * H)
    assert len(alerts(w, "order_charge_raised")) == 1
    [refund] = alerts(w, "order_refunded")
    assert refund["message"].endswith(
        f"order #{order_id} refunded after it ended Canceled: charge 1.25 -> 0.00 USD"
    )


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize("failure", ["whole call", "item error"])
def test_a_failed_late_check_changes_nothing_stored_and_the_next_one_is_made(world, failure):
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Canceled")
    before = stored(w, order_id)
    w.panel.charges[order_id] = "0.00"
    if failure == "whole call":
        w.panel.inject("json500", count=1, action="status")
    else:
        w.panel.refused.add(order_id)
    w.clock.advance(H)
    with capture_logs() as logs:
        w.poll()
    failed = [e for e in logs if e["event"] == "late_check_failed"]
    assert [(e["ids"], e["dropped"]) for e in failed] == [([order_id], 0)]
    assert stored(w, order_id) == before  # not lost, no error, no charge, no next check
    assert alerts(w, "order_refunded") == [] and alerts(w, "order_lost") == []
    w.panel.refused.clear()
    after(w, 5 * H)  # tried again at the next moment, 6 h after the end
    assert stored(w, order_id)["charge"] == 0.0
    assert len(alerts(w, "order_refunded")) == 1


def test_completed_orders_are_not_checked_again(world):
    w = world(panel_class=LateRefundPanel)
    completed, canceled = ended(w, "Completed"), ended(w, "Canceled")
    w.panel.charges.update({completed: "0.00", canceled: "0.00"})
    for wait in (H, 5 * H, 18 * H):
        after(w, wait)
    assert stored(w, completed)["charge"] == 1.0  # no refund is expected of it
    assert stored(w, canceled)["charge"] == 0.0  # asked in the same polls
    [alert] = alerts(w, "order_refunded")
    assert [o["order_id"] for o in alert["data"]["orders"]] == [canceled]


def test_late_checks_off_means_no_late_check(world):
    w = world(panel_class=LateRefundPanel, schedule="late_checks = []")
    order_id = ended(w, "Canceled")
    w.panel.charges[order_id] = "0.00"
    for wait in (H, 5 * H, 18 * H):
        after(w, wait)
    assert stored(w, order_id)["charge"] == 1.0
    assert alerts(w, "order_refunded") == []


def test_an_order_the_panel_reopens_is_polled_again_as_an_open_order(world):
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Canceled")
    w.panel.pin(order_id, "In progress")
    after(w, H)
    assert (stored(w, order_id)["status"], stored(w, order_id)["polling"]) == ("In progress", 1)
    w.panel.pin(order_id, "Completed")
    after(w, 300)  # polled as any open order
    assert stored(w, order_id)["status"] == "Completed"


def _late_rows(w: World) -> int:
    with sqlite3.connect(w.store.path) as db:
        return db.execute("SELECT count(*) FROM late_checks").fetchone()[0]


def _json(text: str) -> list[dict]:
    import json

    return json.loads(text)


def test_prune_deletes_the_late_checks_of_the_orders_it_deletes(world, clock):
    from datetime import timedelta

    from tracker.clock import utcnow

    clock.now = utcnow() - timedelta(days=60)  # ended two months ago, never checked since
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Canceled")
    assert _late_rows(w) == 1
    # Its late check counted among the rows to go, as every per-order table's
    # (it went by a foreign key's cascade, never shown).
    dry = w.cli("prune", "--older-than", "30d", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert [line.split() for line in dry.stdout.splitlines() if "late_checks" in line] == [
        ["late_checks", "1"]
    ], dry.stdout
    pruned = w.cli("prune", "--older-than", "30d", "--yes")
    assert pruned.exit_code == 0, pruned.output
    assert w.store.order("sim", order_id) is None
    assert _late_rows(w) == 0


def test_open_orders_go_first_and_a_poll_makes_at_most_10_calls_of_late_checks(world):
    w = world(panel_class=LateRefundPanel)
    ids = w.panel.seed_orders(1050, status="In progress", service=SERVICE_FOLLOWERS)
    w.store.track("sim", ids, w.clock())
    w.poll()
    w.panel.charges.update(dict.fromkeys(ids, "1.00"))
    for order_id in ids:
        w.panel.pin(order_id, "Canceled")
    w.poll()  # 1050 orders end at once
    opened = w.order(SERVICE_FOLLOWERS, "In progress")
    w.panel.charges.update(dict.fromkeys(ids, "0.00"))
    w.panel.pin(opened, "Completed")
    after(w, H)
    assert stored(w, opened)["status"] == "Completed"  # the open order was not kept waiting
    refunded = [i for i in ids if stored(w, i)["charge"] == 0.0]
    assert len(refunded) == 1000  # 10 calls of 100
    [alert] = alerts(w, "order_refunded")
    assert alert["data"]["count"] == 1000 and len(alert["data"]["orders"]) == 100
    assert alert["message"].startswith("sim: 1000 orders refunded after they ended: #")
    # Where the 995 not named are: the first 100 in its data, as listed.
    assert alert["message"].endswith(" and 995 more (in data.orders: `smm-tracker alerts --json`)")
    w.poll()  # the rest at the next poll
    assert all(stored(w, i)["charge"] == 0.0 for i in ids)


def test_the_simulated_panels_late_refund_quirk_is_seen_at_the_first_late_check(world):
    from tracker.sim.scripts import quirks_from

    # simulate --quirk late_refund=1800: whole charge for 30 min after the end
    w = world(script=quirks_from(["late_refund=1800"]))
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    w.panel.pin(order_id, "Canceled")
    w.poll()
    assert (stored(w, order_id)["status"], stored(w, order_id)["charge"]) == ("Canceled", 0.9)
    after(w, H)
    assert stored(w, order_id)["charge"] == 0.0
    [alert] = alerts(w, "order_refunded")
    assert alert["message"].endswith("ended Canceled: charge 0.90 -> 0.00 USD")


@pytest.mark.usefixtures("fresh_logs")
def test_a_last_late_check_failed_by_the_panel_is_tried_again_not_given_up(world):
    # The panel down (or rate-limiting) at the 24 h check: that check counted
    # as made, the order's late checks ended, and its refund was never seen.
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Canceled")
    after(w, H)
    after(w, 5 * H)
    w.panel.charges[order_id] = "0.00"
    w.panel.inject("json500", count=1000, action="status")
    w.clock.advance(18 * H)
    with capture_logs() as logs:
        w.poll()
    failed = [e for e in logs if e["event"] == "late_check_failed"]
    assert [(e["ids"], e["dropped"]) for e in failed] == [([order_id], 0)]
    assert stored(w, order_id)["charge"] == 1.0
    w.panel.clear_faults()
    after(w, 300)  # the next poll, the panel back
    assert stored(w, order_id)["charge"] == 0.0
    assert len(alerts(w, "order_refunded")) == 1


def test_a_late_check_failed_by_the_panel_for_good_stops_a_day_after_the_last(world):
    w = world(panel_class=LateRefundPanel)
    order_id = ended(w, "Canceled")
    w.panel.inject("json500", count=10_000, action="status")
    for wait in (H, 5 * H, 18 * H, 23 * H):
        after(w, wait)

    def rows() -> list[dict]:
        return w.store.rows("SELECT * FROM late_checks WHERE order_id = ?", [order_id])

    assert rows()  # 47 h after the end: still due, tried at each poll
    after(w, 2 * H)  # 49 h: a day past the last moment (24 h): given up, logged
    assert rows() == []

"""The alerts an operator receives, lifecycle by lifecycle: one event, one alert.

Against the simulated panel (tests/refill_world.py), the poll and the
automation job run every 10 minutes as the daemon runs them. Each test lists
every alert the lifecycle raised, in order: a kind too many (the same event
told twice) or one missing shows here.

Found in review: a stuck Pending order the automation cancelled sent four
alerts, the last one an ``order_moving`` beside the ``order_canceled`` of
the same poll ("ended Canceled"): an order that ends Canceled or Partial
ends its stall episode with that alert.
"""

from __future__ import annotations

from refill_world import H, World

from tracker.sim.orders import OrderView
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel
from tracker.store.alerts import alerts_since

STEP = 600.0  # [automation] every default: 10 minutes
CANCEL = 'cancel_pending = true\ncancel_pending_after = "24h"\n'
NOTHING_LEFT = "charge 0.00 USD, was 0.90 USD"  # the simulated panel's 1000 followers, given back


def cycles(w: World, hours: float) -> None:
    for _ in range(int(hours * H / STEP)):
        w.clock.advance(STEP)
        w.poll()
        assert w.jobs["automation:sim"].run()


def received(w: World) -> list[tuple[str, str]]:
    """Every alert raised so far, oldest first: (kind, message)."""
    rows = sorted(alerts_since(w.store, None, limit=100), key=lambda a: a["id"])
    return [(a["kind"], a["message"]) for a in rows]


def kinds(w: World) -> list[str]:
    return [kind for kind, _ in received(w)]


class RefundingPanel(SimulatedPanel):
    """Answers "Refunded" (with nothing charged) for the orders in ``refunded``."""

    refunded: frozenset[int] = frozenset()

    def _order_item(self, view: OrderView) -> dict:
        item = super()._order_item(view)
        if view.order_id in self.refunded:
            item.update(status="Refunded", charge="0", remains=str(view.quantity))
        return item


def stalled_then(world, status: str) -> tuple[World, int]:
    """An order In progress that stalls (6h unchanged), then ends ``status``."""
    w = world()
    w.sync_services()
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    cycles(w, 7)
    assert kinds(w) == ["order_stalled"]
    w.panel.pin(order_id, status)
    cycles(w, 1)
    return w, order_id


def test_a_stalled_pending_order_the_automation_cancels_is_told_three_times_not_four(world):
    w = world(automation=CANCEL)
    w.sync_services()
    stuck = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    cycles(w, 26)  # stalled at 12h, cancelled at 24h, seen Canceled at the next poll
    assert w.store.order("sim", stuck)["status"] == "Canceled"
    assert kinds(w) == ["order_stalled", "automation_canceled", "order_canceled"]
    assert received(w)[-1][1] == (
        f"sim: order #{stuck} canceled (remains 1000, charge 0.00 USD, was 0.90 USD)"
    )
    assert w.cli("orders", "--stalled").stderr == "no stalled orders\n"  # the episode ended
    cycles(w, 2)
    assert len(received(w)) == 3


def test_a_stalled_order_the_panel_cancels_gets_order_canceled_alone(world):
    w, order_id = stalled_then(world, "Canceled")
    assert kinds(w) == ["order_stalled", "order_canceled"]
    assert w.cli("orders", "--stalled").stderr == "no stalled orders\n"


def test_a_stalled_order_that_ends_partial_gets_order_partial_alone(world):
    w, order_id = stalled_then(world, "Partial")
    assert kinds(w) == ["order_stalled", "order_partial"]
    assert received(w)[-1][1].startswith(f"sim: order #{order_id} partial (remains 500, ")


def test_a_stalled_order_that_completes_is_told_by_order_moving(world):
    # Completed has no alert of its own: order_moving is what ends the episode.
    w, order_id = stalled_then(world, "Completed")
    assert kinds(w) == ["order_stalled", "order_moving"]
    message = received(w)[-1][1]
    assert message == f"sim: order #{order_id} ended Completed (remains 0) after 1h stalled"


def test_stalled_orders_ending_together_name_only_those_no_other_alert_told(world):
    w = world()
    w.sync_services()
    done, dropped = (w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(2))
    w.poll()
    cycles(w, 7)
    w.panel.pin(done, "Completed")
    w.panel.pin(dropped, "Canceled")
    cycles(w, 1)
    assert kinds(w) == ["order_stalled", "order_canceled", "order_moving"]
    rows = sorted(alerts_since(w.store, None, limit=100), key=lambda a: a["id"])
    assert [o["order_id"] for o in rows[-1]["data"]["orders"]] == [done]
    assert rows[-1]["message"].startswith(f"sim: order #{done} ended Completed ")


def test_an_order_the_panel_refunds_is_alerted_as_a_cancel_is(world):
    # Refunded ends an order undelivered, as Canceled does: it raised nothing.
    w = world(panel_class=RefundingPanel)
    w.sync_services()
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    cycles(w, 1)
    w.panel.refunded = frozenset({order_id})
    cycles(w, 1)
    assert w.store.order("sim", order_id)["status"] == "Refunded"
    assert received(w) == [
        ("order_canceled", f"sim: order #{order_id} refunded (remains 1000, {NOTHING_LEFT})")
    ]


def test_a_stalled_order_the_panel_refunds_gets_that_alert_alone(world):
    w = world(panel_class=RefundingPanel)
    w.sync_services()
    stuck, canceled = (w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(2))
    w.poll()
    cycles(w, 7)
    w.panel.refunded = frozenset({stuck})
    w.panel.pin(canceled, "Canceled")
    cycles(w, 1)
    # Two words, two alerts of the kind: the refunded order is never called canceled.
    assert received(w)[1:] == [
        ("order_canceled", f"sim: order #{canceled} canceled (remains 1000, {NOTHING_LEFT})"),
        ("order_canceled", f"sim: order #{stuck} refunded (remains 1000, {NOTHING_LEFT})"),
    ]
    assert kinds(w) == ["order_stalled", "order_canceled", "order_canceled"]


def test_an_order_ending_canceled_or_partial_says_what_it_was_charged_before(world):
    # What the panel gave back is money: the charge before the end is said
    # beside the charge after, in the currency ("charge 0.00 USD, was 0.90
    # USD"), and kept in data.
    w = world()
    w.sync_services()
    canceled, partial = (w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(2))
    w.poll()
    before = {o: w.store.order("sim", o)["charge"] for o in (canceled, partial)}
    assert all(before.values())  # charged while in progress
    w.panel.pin(canceled, "Canceled")
    w.panel.pin(partial, "Partial")
    cycles(w, 1)
    rows = sorted(alerts_since(w.store, None, limit=100), key=lambda a: a["id"])
    said = {row["kind"]: row for row in rows}
    cancel_line = said["order_canceled"]["message"]
    assert cancel_line.endswith(f"charge 0.00 USD, was {before[canceled]:.2f} USD)"), cancel_line
    (item,) = said["order_canceled"]["data"]["orders"]
    assert item["charge_before"] == before[canceled] and item["charge"] == 0
    after = w.store.order("sim", partial)["charge"]
    assert 0 < after < before[partial]
    assert said["order_partial"]["message"].endswith(
        f"charge {after:.2f} USD, was {before[partial]:.2f} USD)"
    )


class RepricingPanel(SimulatedPanel):
    """Answers each order in ``priced`` with that (charge, currency)."""

    priced: dict[int, tuple[str, str]] = {}

    def _order_item(self, view: OrderView) -> dict:
        item = super()._order_item(view)
        if view.order_id in self.priced:
            item["charge"], item["currency"] = self.priced[view.order_id]
        return item


def test_a_charge_in_another_currency_at_the_end_says_no_was(world):
    # 0.90 USD before, 45.50 RUB at the end: the two are no before and after
    # of one amount ("charge 45.50, was 0.90" read as a charge gone up).
    w = world(panel_class=RepricingPanel)
    w.sync_services()
    rubles, dollars = (w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(2))
    w.poll()
    w.panel.priced = {rubles: ("45.5", "RUB"), dollars: ("0.45", "USD")}
    w.panel.pin(rubles, "Partial")
    w.panel.pin(dollars, "Partial")
    cycles(w, 1)
    (alert,) = [a for a in alerts_since(w.store, None, limit=100) if a["kind"] == "order_partial"]
    by_id = {o["order_id"]: o for o in alert["data"]["orders"]}
    assert "charge_before" not in by_id[rubles]
    assert by_id[dollars]["charge_before"] == 0.9  # the same currency: what was given back
    w.panel.priced = {}
    canceled = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    w.panel.priced = {canceled: ("0", "EUR")}
    w.panel.pin(canceled, "Canceled")
    cycles(w, 1)
    assert received(w)[-1][1] == f"sim: order #{canceled} canceled (remains 1000, charge 0.00 EUR)"

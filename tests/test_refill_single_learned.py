"""A panel refusing multi-order ``refill`` calls ("Incorrect request") while it
reads single ones is asked one order at a time by every process, not only by
the one that found out. Against the simulated panel."""

from __future__ import annotations

from collections.abc import Mapping

from refill_world import DAY, World

from tracker.jobs.tracker import Tracker
from tracker.sim.orders import SimRefusal
from tracker.sim.server import SimulatedPanel


class SingleRefillPanel(SimulatedPanel):
    """Reads only ``order`` for refill: a multi call finds nothing."""

    def _refill(self, form: Mapping[str, str], now: float):
        if "orders" in form:
            raise SimRefusal("Incorrect request")
        return super()._refill(form, now)


class NoRefillPanel(SimulatedPanel):
    """Has no refill action at all."""

    def _refill(self, form: Mapping[str, str], now: float):
        raise SimRefusal("Incorrect request")


def _round_in_a_new_process(w: World) -> bool:
    """`run --once` again: a tracker on the same config and database."""
    tracker = Tracker(w.config, clock=w.clock)
    try:
        return {job.name: job for job in tracker.jobs()}["refill:sim"].run()
    finally:
        tracker.close()


def test_a_panel_refusing_multi_refill_calls_is_asked_one_order_at_a_time_by_every_process(world):
    # Each `run --once` (and each daemon start) sent one multi call first,
    # refused "Incorrect request", before falling back to single calls.
    w = world(panel_class=SingleRefillPanel)
    orders = w.dropped(2)
    assert _round_in_a_new_process(w)
    assert w.panel.calls["refill:multi"] == 1 and w.panel.calls["refill:single"] == 2
    assert w.store.rows("SELECT * FROM panel_capabilities") == []  # one refusal: maybe flaky
    w.clock.advance(DAY)
    for order_id in orders:
        w.panel.drop(order_id, 30)
    assert _round_in_a_new_process(w)  # refused so again: learned
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 4
    (row,) = w.store.rows("SELECT * FROM panel_capabilities")
    assert (row["action"], row["supported"]) == ("refill_orders", 0)
    assert row["evidence"] == "answered 'Incorrect request'"
    for _ in range(2):
        w.clock.advance(DAY)
        for order_id in orders:
            w.panel.drop(order_id, 30)
        assert _round_in_a_new_process(w)
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 8
    assert "sim takes refill requests one order at a time" in w.cli("services").output


def test_a_panel_without_refill_learns_no_single_calls(world):
    w = world(panel_class=NoRefillPanel)
    w.dropped(2)
    assert not w.round()  # refused once: that round's failure, nothing learned
    assert w.store.rows("SELECT action, supported FROM panel_capabilities") == []
    assert w.round()  # refused so again: the panel has no refill
    learned = w.store.rows("SELECT action, supported FROM panel_capabilities")
    assert learned == [{"action": "refill", "supported": 0}]


class OneBadIdPanel(SimulatedPanel):
    """Reads multi-order refill calls, but refuses a whole call naming an order
    it does not know ("Incorrect order ID") once."""

    refused = False

    def _refill(self, form: Mapping[str, str], now: float):
        if "orders" in form and not self.refused:
            self.refused = True
            raise SimRefusal("Incorrect order ID")
        return super()._refill(form, now)


def test_a_whole_call_refused_for_one_order_teaches_nothing_for_good(world):
    # "Incorrect order ID" to a multi call can be one ID the panel does not
    # know: single calls this once, but multi calls again next time.
    w = world(panel_class=OneBadIdPanel)
    orders = w.dropped(2)
    assert _round_in_a_new_process(w)
    assert w.panel.calls["refill:multi"] == 1 and w.panel.calls["refill:single"] == 2
    assert w.store.rows("SELECT * FROM panel_capabilities") == []
    w.clock.advance(DAY)
    for order_id in orders:
        w.panel.drop(order_id, 30)
    assert _round_in_a_new_process(w)
    assert w.panel.calls["refill:multi"] == 2


def test_a_whole_call_refused_for_one_order_leaves_the_daemon_on_multi_calls(world):
    # The daemon keeps its round (and what it learned) from round to round:
    # one "Incorrect order ID" kept it on single calls until it restarted.
    w = world(panel_class=OneBadIdPanel)
    orders = w.dropped(2)
    assert w.round()
    assert w.panel.calls["refill:multi"] == 1 and w.panel.calls["refill:single"] == 2
    w.clock.advance(DAY)
    for order_id in orders:
        w.panel.drop(order_id, 30)
    assert w.round()
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 2

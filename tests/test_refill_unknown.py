"""Refill answers the tracker cannot read: multi answers naming no order, and
refill statuses in words it does not know. Against the simulated panel."""

from __future__ import annotations

import json
from collections.abc import Mapping

from refill_world import DAY, World

from tracker.jobs.tracker import Tracker
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel


class OrderlessRefillPanel(SimulatedPanel):
    """Answers multi ``refill`` naming no order: a list of ``{"refill": ID}`` in
    the order asked, or (``single_shape``) the first as a one-order answer.
    ``refill=`` alone is answered as usual."""

    single_shape = False

    def _refill(self, form: Mapping[str, str], now: float):
        answer = super()._refill(form, now)
        if "orders" not in form:
            return answer
        if self.single_shape:
            return {"refill": answer[0]["refill"]}
        return [{"refill": item["refill"]} for item in answer]


class OneOrderShapedRefillPanel(OrderlessRefillPanel):
    single_shape = True


def _dropped_orders(w: World, count: int = 2) -> list[int]:
    w.sync_services()
    ids = [w.order(SERVICE_FOLLOWERS) for _ in range(count)]
    w.poll()
    w.clock.advance(DAY)
    for order_id in ids:
        w.panel.drop(order_id, 30)
    return ids


def _alerts(w: World, kind: str) -> list[dict]:
    return w.store.rows("SELECT * FROM alerts WHERE kind = ? ORDER BY id", [kind])


def _next_process(w: World) -> Tracker:
    """A second tracker on the same config and database (`run --once` again):
    nothing learned in memory by the first."""
    return Tracker(w.config, clock=w.clock)


def _round_in(tracker: Tracker) -> bool:
    return {job.name: job for job in tracker.jobs()}["refill:sim"].run()


def test_a_multi_refill_answer_naming_no_order_is_alerted_and_learned_for_good(world):
    # [{"refill": "501"}, {"refill": "502"}] to orders=A,B: every round left
    # both Unknown ("not in the panel's answer"), with no alert, until
    # refill.max_requests was reached; each `run --once` tried multi again.
    w = world(panel_class=OrderlessRefillPanel, refill="max_requests = 2")
    orders = _dropped_orders(w)
    assert w.round()
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Unknown", "Unknown"]
    assert "naming none of the 2 orders asked" in w.requests(orders[0])[-1]["error"]
    (alert,) = _alerts(w, "refill_unknown")
    assert alert["severity"] == "warning"
    assert f"#{orders[0]}, #{orders[1]}" in alert["message"]
    assert "{'refill':" in alert["message"] and "check the panel" in alert["message"]
    assert "counts toward refill.max_requests" in alert["message"]
    (learned,) = w.store.rows("SELECT * FROM panel_capabilities")
    assert (learned["action"], learned["supported"]) == ("refill_orders", 0)
    # The next process reads what the first learned: one order per call.
    w.clock.advance(DAY)
    for order_id in orders:
        w.panel.drop(order_id, 30)
    again = _next_process(w)
    try:
        assert _round_in(again)
    finally:
        again.close()
    assert w.panel.calls["refill:multi"] == 1 and w.panel.calls["refill:single"] == 2
    assert [[r["status"] for r in w.requests(o)] for o in orders] == [["Unknown", "Pending"]] * 2
    assert len(_alerts(w, "refill_unknown")) == 1  # the accepted requests raise none
    notes = w.cli("services").output
    assert "sim takes refill requests one order at a time" in notes
    assert "does not support refill_orders" not in notes


def test_a_multi_refill_answered_as_one_order_is_learned_too(world):
    # {"refill": "100"} to orders=A,B: "expected a list for refill, got dict",
    # both Unknown, and multi calls again next round.
    w = world(panel_class=OneOrderShapedRefillPanel)
    orders = _dropped_orders(w, 3)
    assert w.round()
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Unknown"] * 3
    assert "shape of a one-order answer" in w.requests(orders[0])[-1]["error"]
    (alert,) = _alerts(w, "refill_unknown")
    assert "3 refill requests" in alert["message"]
    assert [r["order_id"] for r in json.loads(alert["data"])["refills"]] == orders
    w.clock.advance(DAY)
    for order_id in orders:
        w.panel.drop(order_id, 30)
    assert w.round()
    assert w.panel.calls["refill:multi"] == 1 and w.panel.calls["refill:single"] == 3
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Pending"] * 3

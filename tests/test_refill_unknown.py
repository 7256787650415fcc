"""Refill answers the tracker cannot read: multi answers naming no order, and
refill statuses in words it does not know. Against the simulated panel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from refill_world import DAY, H, WordyRefillStatusPanel, World

from tracker.config.model import RefillConfig
from tracker.jobs.tracker import Tracker
from tracker.panel.statuses import normalize_refill_status
from tracker.rules.refill_states import PastRequest
from tracker.rules.refills import (
    ELIGIBLE,
    OPEN_REFILL,
    OrderFacts,
    eligibility,
    manual_blocker,
)
from tracker.sim.server import SimulatedPanel


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
    return w.dropped(count)


def _alerts(w: World, kind: str) -> list[dict]:
    return w.store.rows("SELECT * FROM alerts WHERE kind = ? ORDER BY id", [kind])


def _next_process(w: World) -> Tracker:
    """A second tracker on the same config and database (`run --once` again):
    nothing learned in memory by the first."""
    return Tracker(w.config, clock=w.clock)


def _round_in(tracker: Tracker) -> bool:
    return {job.name: job for job in tracker.jobs()}["refill:sim"].run()


def _again_in_next_process(w: World, orders: list[int]) -> None:
    """A day later, ``orders`` dropped again: a refill round in a new process."""
    w.clock.advance(DAY)
    for order_id in orders:
        w.panel.drop(order_id, 30)
    again = _next_process(w)
    try:
        assert _round_in(again)
    finally:
        again.close()


def test_a_multi_refill_answer_naming_no_order_is_alerted_and_learned_for_good(world):
    # [{"refill": "501"}, {"refill": "502"}] to orders=A,B: every round left
    # both Unknown ("not in the panel's answer"), with no alert, until
    # refill.max_requests was reached; each `run --once` tried multi again.
    w = world(panel_class=OrderlessRefillPanel, refill="max_requests = 3")
    orders = _dropped_orders(w)
    assert w.round()
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Unknown", "Unknown"]
    assert "naming none of the 2 orders asked" in w.requests(orders[0])[-1]["error"]
    (alert,) = _alerts(w, "refill_unknown")
    assert alert["severity"] == "warning"
    assert f"#{orders[0]}, #{orders[1]}" in alert["message"]
    assert '{"refill":' in alert["message"] and "check the panel" in alert["message"]
    assert "counts toward refill.max_requests" in alert["message"]
    # One such answer may be a flaky panel's: learned at the second in a row,
    # here the next `run --once`'s.
    assert w.store.rows("SELECT * FROM panel_capabilities") == []
    _again_in_next_process(w, orders)
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 0
    (learned,) = w.store.rows("SELECT * FROM panel_capabilities")
    assert (learned["action"], learned["supported"]) == ("refill_orders", 0)
    assert "naming none of the 2 orders asked" in learned["evidence"]
    # The next process reads what was learned: one order per call.
    _again_in_next_process(w, orders)
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 2
    statuses = [[r["status"] for r in w.requests(o)] for o in orders]
    assert statuses == [["Unknown", "Unknown", "Pending"]] * 2
    assert len(_alerts(w, "refill_unknown")) == 2  # the accepted requests raise none
    notes = w.cli("services").output
    assert "sim takes refill requests one order at a time" in notes
    assert "does not support refill_orders" not in notes


def test_a_multi_refill_answered_as_one_order_is_learned_too(world):
    # {"refill": "100"} to orders=A,B: "expected a list for refill, got dict",
    # both Unknown, and multi calls again next round (and at every round).
    w = world(panel_class=OneOrderShapedRefillPanel)
    orders = _dropped_orders(w, 3)
    assert w.round()
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Unknown"] * 3
    assert "shape of a one-order answer" in w.requests(orders[0])[-1]["error"]
    (alert,) = _alerts(w, "refill_unknown")
    assert "3 refill requests" in alert["message"]
    assert [r["order_id"] for r in json.loads(alert["data"])["refills"]] == orders
    for _ in range(2):  # the daemon's next round: learned at this second answer
        w.clock.advance(DAY)
        for order_id in orders:
            w.panel.drop(order_id, 30)
        assert w.round()
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 3
    assert [[r["status"] for r in w.requests(o)] for o in orders] == [
        ["Unknown", "Unknown", "Pending"]
    ] * 3


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Done", "Completed"),
        ("Success", "Completed"),
        ("successful", "Completed"),
        ("Finished", "Completed"),
        ("Refill completed", "Completed"),
        ("Declined", "Rejected"),
        ("Denied", "Rejected"),
        ("Refill Rejected", "Rejected"),
        ("Expired", "Canceled"),
        ("Queued", "Pending"),
        ("Accepted", "Pending"),
        ("AWAITING", "Pending"),
    ],
)
def test_common_refill_status_words_are_read(word, status):
    # Each was stored verbatim and left the refill open for ever.
    assert normalize_refill_status(word) == (status, True)


def test_a_refill_reported_done_is_completed_and_frees_its_order(world):
    w = world(panel_class=WordyRefillStatusPanel)
    (order,) = _dropped_orders(w, 1)
    assert w.round()
    w.panel.word = "Done"
    w.clock.advance(H)
    assert w.round()
    (row,) = w.requests(order)
    assert (row["status"], row["raw_status"]) == ("Completed", "Done")
    w.clock.advance(DAY)
    w.panel.drop(order, 30)
    assert w.round()
    assert [r["status"] for r in w.requests(order)] == ["Completed", "Pending"]


def test_a_refill_in_unknown_words_is_alerted_once_and_stops_blocking_after_the_cooldown(world):
    # {"status": "Refunded"}: stored verbatim, left open, and every round
    # skipped the order ("a refill of it is still open") with no alert, for ever.
    w = world(panel_class=WordyRefillStatusPanel)
    (order,) = _dropped_orders(w, 1)
    assert w.round()
    w.panel.word = "Refunded"
    for _ in range(3):
        w.clock.advance(H)
        assert w.round()
    (row,) = w.requests(order)
    assert (row["status"], row["raw_status"]) == ("Refunded", "Refunded")
    (alert,) = _alerts(w, "refill_unknown_status")  # once, not every round
    assert alert["severity"] == "warning"
    assert f"of order #{order} is in status words the tracker does not know" in alert["message"]
    assert "'Refunded'" in alert["message"] and "refill.cooldown" in alert["message"]
    assert json.loads(alert["data"])["refills"][0]["status"] == "Refunded"
    assert w.panel.calls["refill"] == 1  # inside the cooldown: still held back
    w.clock.advance(DAY)
    w.panel.drop(order, 30)
    assert w.round()
    assert w.panel.calls["refill"] == 2  # the panel decides now
    assert [r["status"] for r in w.requests(order)] == ["Refunded", "Pending"]
    assert len(_alerts(w, "refill_unknown_status")) == 1


def test_only_a_refill_in_unknown_words_stops_holding_its_order_after_the_cooldown():
    now = datetime(2026, 11, 10, tzinfo=UTC)
    config = RefillConfig(enabled=True, statuses=("Completed",))
    order = OrderFacts(1, "Completed", now - timedelta(days=3), True)
    odd = PastRequest(now - timedelta(hours=23), "Refunded", refill_id="42")
    assert eligibility(order, [odd], config, now).reason == OPEN_REFILL
    assert manual_blocker([odd], config.cooldown, now) == OPEN_REFILL
    odd = odd._replace(requested_at=now - timedelta(hours=24))
    assert eligibility(order, [odd], config, now) == ELIGIBLE
    assert manual_blocker([odd], config.cooldown, now) is None
    # A refill in a status the tracker knows holds its order while it runs.
    for running in ("Pending", "In progress"):
        assert eligibility(order, [odd._replace(status=running)], config, now).reason == OPEN_REFILL


class ForgettingPanel(SimulatedPanel):
    """Says "Refill not found" of every refill once ``forgot`` is set."""

    forgot = False

    def _refill_spelled(self, token: str, now: float) -> str | None:
        return None if self.forgot else super()._refill_spelled(token, now)


def test_a_refill_closed_as_unknown_while_followed_raises_refill_unknown(world):
    # Three rounds of "not found" close a followed refill: no longer followed,
    # and it counts toward max_requests. That give-up is said, once.
    w = world(panel_class=ForgettingPanel)
    (order,) = _dropped_orders(w, 1)
    assert w.round()
    (request,) = w.requests(order)
    assert request["status"] in ("Pending", "In progress"), request
    w.panel.forgot = True
    for _ in range(4):
        w.clock.advance(H)
        assert w.round()
    (request,) = w.requests(order)
    assert request["status"] == "Unknown"
    (alert,) = _alerts(w, "refill_unknown")
    assert alert["message"] == (
        f"sim: refill {request['refill_id']} of order #{order} is no longer followed: the "
        f"panel answered '{request['error']}' 3 rounds in a row, so it is closed as Unknown; "
        "it counts toward refill.max_requests and the cooldown: check the panel"
    )
    data = json.loads(alert["data"])
    assert data["refills"] == [
        {"order_id": order, "refill_id": request["refill_id"], "error": request["error"]}
    ]


def test_a_refill_answer_lost_on_the_way_back_says_check_the_panel_once(world):
    # The stored error already reads "outcome unknown — check the panel before
    # asking again (...)"; quoted whole, the alert said it twice.
    w = world()
    orders = _dropped_orders(w, 1)
    w.panel.inject("lost502", count=1, action="refill")
    w.round()
    (alert,) = _alerts(w, "refill_unknown")
    assert f"order #{orders[0]}" in alert["message"]
    assert alert["message"].count("check the panel") == 1
    assert "502" in alert["message"]  # what came back instead of an answer
    (request,) = w.requests(orders[0])
    assert request["status"] == "Unknown" and "check the panel" in request["error"]


class OneOrderShapedBusyRefillPanel(OrderlessRefillPanel):
    """{"refill": ID, "error": "Too many requests"} to orders=: a refill made,
    for an order it does not name, beside busy words."""

    def _refill(self, form: Mapping[str, str], now: float):
        answer = super()._refill(form, now)
        if "orders" not in form:
            return answer
        return {"refill": answer[0]["refill"], "error": "Too many requests"}


def test_a_refill_id_beside_busy_words_to_a_multi_refill_is_unknown_not_sent_again(world):
    # It read as the panel busy: nothing sent, every order asked again next
    # round, though the panel gave a refill ID (it may have made a refill).
    w = world(panel_class=OneOrderShapedBusyRefillPanel)
    orders = _dropped_orders(w)
    w.round()
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Unknown", "Unknown"]
    assert "shape of a one-order answer" in w.requests(orders[0])[-1]["error"]
    assert w.panel.calls["refill:multi"] == 1
    w.round()  # the next round: not sent again (an Unknown request waits)
    assert w.panel.calls["refill:multi"] == 1 and w.panel.calls["refill:single"] == 0

"""Multi-order refill calls (``orders=``) are given up for good only at the
second one in a row the panel does not take, in a later round or process:
a refusal saying it reads no such field ("Incorrect request") while single
calls answer, or an answer naming none of the orders asked.

Before, one answer naming no order learned ``refill_orders`` for good (a
flaky panel's one odd answer made every later round one call per order), a
first refusal turned multi calls back on for the same round's next batch
(whose refusal then learned it inside one round), and that first refusal,
which learned nothing, was a ``multi_refill_unsupported`` warning. Against
the simulated panel over loopback: the daemon's rounds (one Tracker) and
`run --once`'s (a new Tracker each).
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY, World
from structlog.testing import capture_logs

from tracker.jobs.tracker import Tracker
from tracker.sim.orders import SimRefusal
from tracker.sim.server import SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

LEARNED = "SELECT action, supported FROM panel_capabilities"
TOLD = ("multi_refill_unsupported", "multi_refill_refused_once", "multi_refill_names_no_order")


class OddMultiRefillPanel(SimulatedPanel):
    """Answers multi-order refill calls oddly while ``odd`` is set: refused
    "Incorrect request" (``refuse``), or accepted in a list naming no order.
    Single calls are answered as usual."""

    odd = True
    refuse = True

    def _refill(self, form: Mapping[str, str], now: float):
        if not (self.odd and "orders" in form):
            return super()._refill(form, now)
        if self.refuse:
            raise SimRefusal("Incorrect request")
        return [{"refill": item["refill"]} for item in super()._refill(form, now)]


def _round(w: World, *, new_process: bool = False) -> list[tuple[str, str, object]]:
    """Run one refill round (the daemon's, or a new `run --once`'s); return
    its lines about multi calls: (event, level, learned)."""
    tracker = Tracker(w.config, clock=w.clock) if new_process else w.tracker
    try:
        with capture_logs() as logs:
            assert {job.name: job for job in tracker.jobs()}["refill:sim"].run()
    finally:
        if new_process:
            tracker.close()
    return [(e["event"], e["log_level"], e.get("learned")) for e in logs if e["event"] in TOLD]


def _due_again(w: World, orders: list[int]) -> None:
    """A day later, every order dropped again: due for a refill."""
    w.clock.advance(DAY)
    for order_id in orders:
        w.panel.drop(order_id, 30)


def test_an_answer_naming_no_order_is_learned_at_the_second_in_a_row(world):
    w = world(panel_class=OddMultiRefillPanel)
    w.panel.refuse = False
    orders = w.dropped(3)
    for odd, new_process in ((True, False), (False, True), (True, False)):
        w.panel.odd = odd
        told = _round(w, new_process=new_process)
        assert w.store.rows(LEARNED) == []  # before: refill_orders at the first
        if odd:  # the first in a row: not learned, the orders Unknown
            assert told == [("multi_refill_names_no_order", "warning", False)]
            assert [w.requests(o)[-1]["status"] for o in orders] == ["Unknown"] * 3
            error = w.requests(orders[0])[-1]["error"]
            assert error.endswith("; asked one order at a time this round"), error
        _due_again(w, orders)
    assert w.panel.calls["refill:multi"] == 3 and w.panel.calls["refill:single"] == 0
    # Named no order again, the next `run --once`: learned for good.
    assert _round(w, new_process=True) == [("multi_refill_names_no_order", "warning", True)]
    assert w.store.rows(LEARNED) == [{"action": "refill_orders", "supported": 0}]
    assert w.requests(orders[0])[-1]["error"].endswith("; asked one order at a time from now on")
    _due_again(w, orders)
    assert _round(w) == []
    assert w.panel.calls["refill:multi"] == 4 and w.panel.calls["refill:single"] == 3
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Pending"] * 3


@pytest.mark.parametrize("refuse", [True, False], ids=["refused", "named-no-order"])
def test_a_first_odd_answer_keeps_the_rest_of_its_round_on_single_calls(world, refuse):
    # 102 orders: a call of 100, then one of 2. After the first call was
    # refused, the second was a multi call again; refused too, it learned
    # one order at a time for good inside one round of the daemon.
    w = world(panel_class=OddMultiRefillPanel)
    w.panel.refuse = refuse
    orders = w.dropped(102)
    _round(w)
    assert w.panel.calls["refill:multi"] == 1  # before: 2 when refused
    assert w.panel.calls["refill:single"] == (102 if refuse else 2)
    assert w.store.rows(LEARNED) == []  # before: learned in one round
    _due_again(w, orders)
    _round(w)  # the daemon's next round: a multi call again, refused: learned
    assert w.panel.calls["refill:multi"] == 2
    assert w.store.rows(LEARNED) == [{"action": "refill_orders", "supported": 0}]


def test_a_first_multi_refusal_is_told_at_info_the_learning_at_warning(world):
    w = world(panel_class=OddMultiRefillPanel)
    orders = w.dropped(2)
    told = []
    for _ in range(3):
        told.append(_round(w))
        _due_again(w, orders)
    assert told == [  # before: a warning at the first, which learned nothing
        [("multi_refill_refused_once", "info", None)],
        [("multi_refill_unsupported", "warning", None)],
        [],  # learned: single calls, nothing said
    ]
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 6

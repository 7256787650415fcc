"""A hostile panel giving one refill ID to two orders: its refill_status
answer about that ID cannot be told apart, so it is read for neither."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY
from structlog.testing import capture_logs

from tracker.sim.orders import SimRefusal
from tracker.sim.panel import ORDER_REQUIRED
from tracker.sim.server import SimulatedPanel


class SharedRefillIdPanel(SimulatedPanel):
    """Refuses a multi ``refill`` (as a clone reading ``order`` alone), and
    answers each second order asked with the refill ID of the order asked
    before it: one ID for each pair of orders, in two answers each naming one
    order (one answer giving it to two is read for neither at once:
    tests/test_refill_answers.py). A panel restarted with its refill IDs
    counted again, many shared at once."""

    before: object = None

    def _refill(self, form: Mapping[str, str], now: float):
        if "orders" in form:
            raise SimRefusal(ORDER_REQUIRED)
        answer = super()._refill(form, now)
        if self.before is None:
            self.before = answer["refill"]
            return answer
        shared, self.before = self.before, None
        return {**answer, "refill": shared}


def _alerts(w, kind: str) -> list[dict]:
    return w.store.rows("SELECT * FROM alerts WHERE kind = ? ORDER BY id", [kind])


@pytest.mark.usefixtures("fresh_logs")
def test_a_refill_id_given_to_two_orders_marks_neither_from_the_panels_answer(world):
    # Both rows took refill_status(ID)'s "Completed": order B's refill was
    # shown done although the panel's answer may be about order A's alone.
    w = world(panel_class=SharedRefillIdPanel)
    a, b = w.dropped(2)
    assert w.round()
    (first,), (second,) = w.requests(a), w.requests(b)
    assert first["refill_id"] == second["refill_id"]
    w.clock.advance(DAY)
    with capture_logs() as logs:
        w.round()
    for order, other in ((a, b), (b, a)):
        row = w.requests(order)[0]
        assert row["status"] == "Unknown", row
        assert f"#{other}" in row["error"] and "cannot be told apart" in row["error"]
    shared = [e for e in logs if e["event"] == "refill_id_shared"]
    assert len(shared) == 1 and shared[0]["log_level"] == "warning"
    assert sorted(shared[0]["orders"]) == sorted([a, b])
    (alert,) = _alerts(w, "refill_unknown")
    assert "same refill ID to another order" in alert["message"]
    assert "3 rounds" not in alert["message"]
    # Closed: a later round neither follows them nor logs that ID again.
    w.clock.advance(DAY)
    with capture_logs() as logs:
        w.round()
    said = [e["refill"] for e in logs if e["event"] == "refill_id_shared"]
    assert first["refill_id"] not in said
    assert w.requests(a)[0]["status"] == "Unknown"


class FirstRefillIdPanel(SimulatedPanel):
    """Answers every refill request, whichever the order, with its first refill ID."""

    first: object = None

    def _refill(self, form: Mapping[str, str], now: float):
        answer = super()._refill(form, now)
        items = answer if "orders" in form else [answer]
        self.first = self.first or items[0]["refill"]
        if "orders" in form:
            return [{**item, "refill": self.first} for item in answer]
        return {**answer, "refill": self.first}


def test_a_refill_id_an_ended_refill_of_another_order_had_is_not_read_as_that_one(world):
    # Order B's refill took the status of order A's, which ended a day before.
    w = world(panel_class=FirstRefillIdPanel, refill='cooldown = "3d"')
    (a,) = w.dropped(1)
    assert w.round()
    w.clock.advance(DAY)
    w.round()
    assert [r["status"] for r in w.requests(a)] == ["Completed"]
    (b,) = w.dropped(1)
    w.round()
    assert w.requests(b)[0]["refill_id"] == w.requests(a)[0]["refill_id"]
    w.clock.advance(DAY)
    w.round()
    assert w.requests(a)[0]["status"] == "Completed"
    (row,) = w.requests(b)[:1]
    assert row["status"] == "Unknown" and f"#{a}" in row["error"]


@pytest.mark.usefixtures("fresh_logs")
def test_many_shared_refill_ids_name_ten_and_count_the_rest_in_one_line(world):
    # 15 shared IDs were 15 warnings in one round (800 a minute in a soak).
    w = world(panel_class=SharedRefillIdPanel)
    dropped = w.dropped(30)
    assert w.round()
    w.clock.advance(DAY)
    with capture_logs() as logs:
        w.round()
    named = [e for e in logs if e["event"] == "refill_id_shared" and e["log_level"] == "warning"]
    (rest,) = [e for e in logs if e["event"] == "refill_id_shared_many"]
    assert len(named) == 10 and rest["log_level"] == "warning"
    assert rest["refills"] == 5 and rest["orders"] == 10 and len(rest["first"]) == 5
    assert "more" not in rest  # every one named, in one line or the other
    assert {e["refill"] for e in named}.isdisjoint(rest["first"])
    # Every one of them is closed all the same, not only those named.
    assert {w.requests(o)[0]["status"] for o in dropped} == {"Unknown"}


@pytest.mark.usefixtures("fresh_logs")
def test_shared_refill_ids_named_in_no_line_are_said_to_be_at_debug(world):
    # 25 shared IDs: 10 warnings, 10 in the closing line's `first`, and 5 were
    # named nowhere, not even at debug.
    w = world(panel_class=SharedRefillIdPanel)
    w.dropped(50)
    assert w.round()
    w.clock.advance(DAY)
    with capture_logs() as logs:
        w.round()
    (rest,) = [e for e in logs if e["event"] == "refill_id_shared_many"]
    assert rest["refills"] == 15 and len(rest["first"]) == 10
    assert rest["more"] == "5 more at --log-level debug"
    debug = {
        e["refill"] for e in logs if e["event"] == "refill_id_shared" and e["log_level"] == "debug"
    }
    unnamed = debug - set(rest["first"])
    assert len(debug) == 15 and len(unnamed) == 5

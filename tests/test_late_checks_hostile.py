"""A hostile panel answering the late checks of ended orders
(tracker/jobs/late_checks.py): whatever it says, no open order's poll fails,
no alert is wrong, the key leaks nowhere, no row is lost, nothing grows."""

from __future__ import annotations

import sqlite3

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import KEY, H, World
from structlog.testing import capture_logs
from test_late_refunds import LateRefundPanel, after, alerts, ended, stored

from tracker.sim.orders import OrderView
from tracker.sim.server import SERVICE_FOLLOWERS


class RemainsPanel(LateRefundPanel):
    """LateRefundPanel whose orders in ``remains`` and ``currencies`` are
    answered with that remains and currency."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.remains: dict[int, object] = {}
        self.currencies: dict[int, str] = {}

    def _order_item(self, view: OrderView) -> dict:
        item = super()._order_item(view)
        if view.order_id in self.remains and "error" not in item:
            item["remains"] = self.remains[view.order_id]
        if view.order_id in self.currencies and "error" not in item:
            item["currency"] = self.currencies[view.order_id]
        return item


def _dump(w: World) -> str:
    with sqlite3.connect(w.store.path) as db:
        return "\n".join(db.iterdump())


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize("charge", ["-5.00", "1e308", "NaN", "Infinity", f"refund {KEY}", ""])
def test_an_absurd_late_charge_keeps_the_stored_one_and_alerts_nothing(world, charge):
    w = world(panel_class=RemainsPanel)
    order_id = ended(w, "Canceled")
    before = stored(w, order_id)
    w.panel.charges[order_id] = charge
    w.clock.advance(H)
    with capture_logs() as logs:
        w.poll()
    assert stored(w, order_id)["charge"] == before["charge"] == 1.0
    assert alerts(w, "order_refunded") == []
    assert KEY not in repr(logs) and KEY not in _dump(w)


def test_a_late_charge_up_or_in_another_currency_is_no_refund(world):
    w = world(panel_class=RemainsPanel)
    up, other = ended(w, "Canceled", "0.50"), ended(w, "Partial", "0.90")
    w.panel.charges.update({up: "0.80", other: "0.10"})
    w.panel.currencies = {other: "EUR"}
    after(w, H)
    assert stored(w, up)["charge"] == 0.8
    assert alerts(w, "order_refunded") == []


@pytest.mark.parametrize("remains", [-5000, 10**12, "-99999999999"])
def test_an_absurd_remains_in_a_late_status_change_keeps_the_good_one(world, remains):
    w = world(panel_class=RemainsPanel)
    order_id = ended(w, "Partial", "0.90")
    good = stored(w, order_id)["remains"]
    assert good is not None
    w.panel.statuses[order_id] = "Refunded"
    w.panel.charges[order_id] = "0.00"
    w.panel.remains[order_id] = remains
    after(w, H)
    order = stored(w, order_id)
    assert (order["status"], order["charge"]) == ("Refunded", 0.0)
    assert order["remains"] == good
    assert [h["remains"] for h in w.store.history("sim", order_id)][-1] == good


def test_a_clock_set_back_makes_no_check_early_and_loses_none(world):
    w = world(panel_class=RemainsPanel)
    order_id = ended(w, "Canceled")
    w.panel.charges[order_id] = "0.00"
    w.clock.advance(-3 * H)  # NTP steps the clock back
    w.poll()
    assert stored(w, order_id)["charge"] == 1.0
    w.clock.advance(3 * H + H)  # an hour after the end again
    w.poll()
    assert stored(w, order_id)["charge"] == 0.0
    assert len(alerts(w, "order_refunded")) == 1


class LateFaultPanel(RemainsPanel):
    """RemainsPanel answering a status call that asks for any order in
    ``faulty`` with ``fault`` (a Reply) instead: the late checks' calls only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.faulty: set[int] = set()
        self.fault = None

    def answer(self, form):
        asked = {int(i) for i in (form.get("orders") or form.get("order") or "").split(",") if i}
        if form.get("action") == "status" and asked & self.faulty and self.fault is not None:
            return self.fault
        return super().answer(form)


@pytest.mark.usefixtures("fresh_logs")
def test_a_late_check_answered_429_for_an_hour_fails_no_poll_and_changes_nothing(world):
    from tracker.sim.faults import json_reply

    # One call at a time: the open order's call is answered before the late
    # check's is sent (with four, a worker could send the late check first
    # under load, and its 429's hour would hold the open order's call).
    w = world(panel_class=LateFaultPanel, panel="concurrency = 1")
    order_id = ended(w, "Canceled")
    opened = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    before = stored(w, order_id)
    w.panel.charges[order_id] = "0.00"
    w.panel.faulty.add(order_id)
    w.panel.fault = json_reply(429, {"error": "Too many requests"}, {"Retry-After": "3600"})
    w.panel.pin(opened, "Completed")
    w.clock.advance(H)
    with capture_logs() as logs:
        assert w.tracker.poll("sim")  # the poll itself succeeded
    assert stored(w, opened)["status"] == "Completed"  # its open order stored first
    assert stored(w, order_id) == before
    assert [e["ids"] for e in logs if e["event"] == "late_check_failed"] == [[order_id]]
    assert not [e for e in logs if e["event"] == "status_failed"]
    assert alerts(w, "order_refunded") == [] and alerts(w, "status_failing") == []


@pytest.mark.usefixtures("fresh_logs")
def test_the_key_in_a_late_checks_error_is_blanked_everywhere(world):
    from urllib.parse import quote

    from tracker.sim.faults import json_reply

    w = world(panel_class=LateFaultPanel)
    order_id = ended(w, "Canceled")
    w.panel.faulty.add(order_id)
    said = f"bad key {KEY} or {quote(KEY, safe='')} ({KEY.upper()})"
    w.panel.fault = json_reply(200, {str(order_id): {"error": said}})
    w.clock.advance(H)
    with capture_logs() as logs:
        w.poll()
    [failed] = [e for e in logs if e["event"] == "late_check_failed"]
    assert "bad key" in failed["error"]
    assert KEY not in repr(logs) and KEY.upper() not in repr(logs)
    assert KEY not in _dump(w) and quote(KEY, safe="") not in _dump(w)


@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_reopening_an_order_at_every_late_check_is_followed_once(world):
    # Its late checks said Pending, its polls Canceled: each end put the order
    # up for new late checks, the next re-opened it, and the poll after that
    # raised order_canceled again: one more every hour, for ever.
    from tracker.sim.faults import json_reply

    w = world(panel_class=LateFaultPanel)
    order_id = ended(w, "Canceled")
    w.panel.faulty.add(order_id)
    pending = {"status": "Pending", "charge": "1.00", "remains": "1000", "currency": "USD"}
    failed = []
    for _ in range(6):  # 6 h and more, every late check answered Pending
        w.panel.fault = json_reply(200, {str(order_id): pending})
        w.clock.advance(H)
        with capture_logs() as logs:
            w.poll()
        failed += [e for e in logs if e["event"] == "late_check_failed"]
        w.panel.fault = None
        w.clock.advance(300)
        w.poll()  # polled as an open order when it was re-opened: Canceled
    assert stored(w, order_id)["status"] == "Canceled"
    assert len(alerts(w, "order_canceled")) == 2  # the end, and the one re-opening followed
    assert [t["to_status"] for t in w.store.history("sim", order_id)][-3:] == [
        "Canceled",
        "Pending",
        "Canceled",
    ]
    said = "open again (Pending) once more: not followed"
    assert failed and all(e["error"] == said for e in failed)

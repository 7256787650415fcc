"""A busy day's per-order log lines, as an operator reads the journal.

A panel re-pricing 20 orders at once (the automation's 20 stale Pending
orders canceled, charge 0.00) wrote 20 ``order_charge_changed`` info lines in
one poll; 20 late checks finding 20 refunds, 20 ``late_status_changed`` and
20 ``order_charge_changed`` lines. Per poll and panel, the first 10 are
named; the rest at debug, counted in one ``*_many`` line at the same level.

Against the simulated panel, through the real Tracker.
"""

from __future__ import annotations

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_late_visible import RepricingPanel

from tracker.sim.server import SERVICE_FOLLOWERS

H = 3600.0

pytestmark = pytest.mark.usefixtures("fresh_logs")


class RefundingPanel(RepricingPanel):
    """A panel script that also answers the orders in ``said`` in that status."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.said: dict[int, str] = {}

    def _order_item(self, view):
        item = super()._order_item(view)
        if view.order_id in self.said:
            item["status"] = self.said[view.order_id]
        return item


def _at(logs: list[dict], level: str, event: str) -> list[dict]:
    return [e for e in logs if e["log_level"] == level and e["event"] == event]


def test_twenty_orders_repriced_in_one_poll_are_ten_lines_and_a_count(world):
    w = world(panel_class=RepricingPanel)
    ids = sorted(w.panel.seed_orders(20, status="Pending", service=SERVICE_FOLLOWERS))
    w.panel.charges.update(dict.fromkeys(ids, "0.90"))
    w.store.track("sim", ids, w.clock())
    w.poll()
    w.panel.charges.update(dict.fromkeys(ids, "0.00"))
    for order_id in ids:
        w.panel.pin(order_id, "Canceled")  # canceled by the automation, say
    w.clock.advance(60)
    with capture_logs() as logs:
        w.poll()
    assert [w.store.order("sim", i)["charge"] for i in ids] == [0.0] * 20  # each stored
    told = _at(logs, "info", "order_charge_changed")
    assert [(e["order"], e["before"], e["after"]) for e in told] == [
        (i, 0.9, 0.0) for i in ids[:10]
    ]
    [many] = _at(logs, "info", "order_charge_changed_many")
    assert (many["panel"], many["orders"], many["changed"]) == ("sim", 10, 20)
    assert many["first"] == ids[10:]
    quiet = _at(logs, "debug", "order_charge_changed")
    assert [e["order"] for e in quiet] == ids[10:]  # each still there, at debug
    assert "more" not in many  # each of the rest named in it


def test_a_count_line_naming_some_of_the_rest_says_where_the_others_are(world):
    # 40 re-priced: 10 lines, and one line naming 20 of the other 30; the
    # last 10 were named only at debug, and the line did not say so.
    w = world(panel_class=RepricingPanel)
    ids = sorted(w.panel.seed_orders(40, status="Pending", service=SERVICE_FOLLOWERS))
    w.panel.charges.update(dict.fromkeys(ids, "0.90"))
    w.store.track("sim", ids, w.clock())
    w.poll()
    w.panel.charges.update(dict.fromkeys(ids, "0.00"))
    for order_id in ids:
        w.panel.pin(order_id, "Canceled")
    w.clock.advance(60)
    with capture_logs() as logs:
        w.poll()
    [many] = _at(logs, "info", "order_charge_changed_many")
    assert (many["orders"], many["changed"], many["first"]) == (30, 40, ids[10:30])
    assert many["more"] == "10 more at --log-level debug"
    quiet = _at(logs, "debug", "order_charge_changed")
    assert [e["order"] for e in quiet][20:] == ids[30:]  # there they are


def test_twenty_late_refunds_in_one_poll_are_ten_lines_of_each_and_a_count(world):
    w = world(panel_class=RefundingPanel)
    ids = sorted(w.panel.seed_orders(20, status="In progress", service=SERVICE_FOLLOWERS))
    w.store.track("sim", ids, w.clock())
    w.poll()
    w.panel.charges.update(dict.fromkeys(ids, "1.00"))
    for order_id in ids:
        w.panel.pin(order_id, "Partial")
    w.poll()  # ended Partial, charged 1.00: each waiting for its late checks
    w.panel.charges.update(dict.fromkeys(ids, "0.00"))
    w.panel.said.update(dict.fromkeys(ids, "Refunded"))  # the panel gives the money back
    w.clock.advance(H)
    with capture_logs() as logs:
        w.poll()
    assert [w.store.order("sim", i)["status"] for i in ids] == ["Refunded"] * 20
    moved = _at(logs, "info", "late_status_changed")
    assert [(e["order"], e["before"], e["after"]) for e in moved] == [
        (i, "Partial", "Refunded") for i in ids[:10]
    ]
    [many] = _at(logs, "info", "late_status_changed_many")
    assert (many["orders"], many["changed"], many["first"]) == (10, 20, ids[10:])
    charged = _at(logs, "info", "order_charge_changed")
    assert [(e["order"], e["late"], e["raised"]) for e in charged] == [
        (i, True, False) for i in ids[:10]
    ]
    [many] = _at(logs, "info", "order_charge_changed_many")
    assert (many["orders"], many["changed"], many["first"]) == (10, 20, ids[10:])
    infos = [e for e in logs if e["log_level"] == "info" and "order" in e]
    assert len(infos) == 20  # per-order info lines: 10 of each, not 20 of each

"""`order_charge_changed` names the charge's currency: `before=0.9
after=0.0` alone left the reader to guess it (polish200). Its other
fields are as they were. Against the simulated panel, through the real
Tracker; the poll's line (an open order re-priced) and a late check's (an
ended order charged more)."""

from __future__ import annotations

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_late_visible import RepricingPanel

from tracker.sim.server import SERVICE_FOLLOWERS

pytestmark = pytest.mark.usefixtures("fresh_logs")


class PricedPanel(RepricingPanel):
    """A panel script that answers every order's charge in EUR."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = "EUR"


def _charged(logs: list[dict]) -> list[dict]:
    return [e for e in logs if e["event"] == "order_charge_changed"]


def test_a_repriced_open_order_says_its_currency(world):
    w = world(panel_class=PricedPanel)
    [order] = w.panel.seed_orders(1, status="Pending", service=SERVICE_FOLLOWERS)
    w.panel.charges[order] = "0.90"
    w.store.track("sim", [order], w.clock())
    w.poll()
    w.panel.charges[order] = "0.00"
    w.clock.advance(60)
    with capture_logs() as logs:
        w.poll()
    [line] = _charged(logs)
    assert (line["order"], line["before"], line["after"]) == (order, 0.9, 0.0)
    assert line["currency"] == "EUR" and "currency_before" not in line


def test_a_late_check_finding_a_charge_raised_says_its_currency(world):
    w = world(panel_class=PricedPanel)
    [order] = w.panel.seed_orders(1, status="In progress", service=SERVICE_FOLLOWERS)
    w.store.track("sim", [order], w.clock())
    w.poll()
    w.panel.charges[order] = "1.00"
    w.panel.pin(order, "Partial")
    w.poll()  # ended Partial, charged 1.00
    w.panel.charges[order] = "1.50"
    w.clock.advance(3600)
    with capture_logs() as logs:
        w.poll()
    [line] = _charged(logs)
    assert (line["before"], line["after"], line["raised"]) == (1.0, 1.5, True)
    assert line["currency"] == "EUR"


def test_a_charge_now_in_another_currency_says_both():
    from tracker.rules.money import charge_currencies

    assert charge_currencies("USD", "usd") == {"currency": "usd"}
    assert charge_currencies(None, "USD") == {"currency": "USD"}
    assert charge_currencies("USD", "RUB") == {"currency": "RUB", "currency_before": "USD"}

"""A late refund's or raised charge's alert names the currency as every other
line does: a panel's 1,000-character "currency" cut to 40 characters, where
these two alerts (alone of the order alerts) wrote it whole."""

from __future__ import annotations

import pytest

from tracker.rules.late_checks import raised_alerts, refund_alerts

LONG = "USD" + "x" * 997


def _item(order_id: int, currency: str | None) -> dict:
    return {
        "panel": "main",
        "order_id": order_id,
        "status": "Canceled",
        "charge_before": 0.9,
        "charge": 0.0,
        "currency": currency,
    }


@pytest.mark.parametrize("alerts", [refund_alerts, raised_alerts])
@pytest.mark.parametrize("count", [1, 3])
def test_a_long_currency_is_cut_in_the_alert_as_everywhere(alerts, count):
    (alert,) = alerts([_item(23500 + i, LONG) for i in range(count)])
    assert LONG not in alert.message
    assert f"{LONG[:39]}…" in alert.message
    assert len(alert.message) < 400


@pytest.mark.parametrize("alerts", [refund_alerts, raised_alerts])
def test_a_short_currency_or_none_is_said_as_before(alerts):
    (usd,) = alerts([_item(23501, "USD")])
    assert usd.message.endswith("charge 0.90 -> 0.00 USD")
    (bare,) = alerts([_item(23501, None)])
    assert bare.message.endswith("charge 0.90 -> 0.00")


@pytest.mark.parametrize("alerts", [refund_alerts, raised_alerts])
def test_a_currency_over_lines_is_said_on_one(alerts):
    (alert,) = alerts([_item(23501, "US\nD\r\n")])
    assert "\n" not in alert.message and "\r" not in alert.message
    assert alert.message.endswith("charge 0.90 -> 0.00 US D")

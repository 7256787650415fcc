"""An ``order_lost`` alert names and lists the orders given up lowest ID
first, however the poll's answers came back (calls in flight finish in any
order): the five in its message and the 100 in its data are the same ones
run after run."""

from __future__ import annotations

from tracker.rules.losses import lost_alerts


def given_up(order_id: int) -> dict[str, object]:
    return {
        "panel": "main",
        "order_id": order_id,
        "error": "Incorrect order ID",
        "unknown_since": "2026-12-01T00:00:00+00:00",
    }


def test_the_orders_of_an_order_lost_alert_are_lowest_id_first():
    ids = [*range(300, 400), *range(100, 200), *range(200, 300)]  # as three calls came back
    [alert] = lost_alerts([given_up(i) for i in ids])
    assert [o["order_id"] for o in alert.data["orders"]] == list(range(100, 200))
    assert alert.data["count"] == 300
    assert ": #100, #101, #102, #103, #104 and 295 more" in alert.message

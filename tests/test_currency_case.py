"""Currency codes differing only in case ("usd" and "USD") are one currency
wherever money is compared: a late check's refund, an ended order's "was",
`report`'s spend per currency, the balance job's change of currency.

Before, a panel writing "usd" for an order stored as "USD" had its refund
go unalerted (the late check read it as another currency), its
`order_canceled` said no "was", and `report` listed "12.30 USD, 2.30 usd"
for one service. Against the simulated panel on loopback, on the test's
clock, and the real CLI.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from balance_job import balance_job
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H
from structlog.testing import capture_logs
from test_late_checks_hostile import RemainsPanel
from test_late_refunds import after, alerts, ended, stored
from test_scorecard_currency import report

from tracker.clock import iso, utcnow
from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store.orders import Store


def test_a_refund_given_in_the_currency_written_in_lower_case_is_alerted(world):
    w = world(panel_class=RemainsPanel)
    order_id = ended(w, "Canceled", "1.00")  # stored USD
    w.panel.charges[order_id] = "0.00"
    w.panel.currencies = {order_id: "usd"}
    after(w, H)
    assert stored(w, order_id)["charge"] == 0.0
    [alert] = alerts(w, "order_refunded")
    assert alert["message"] == (
        f"sim: order #{order_id} refunded after it ended Canceled: charge 1.00 -> 0.00 usd"
    )


def test_an_order_ended_in_the_currency_written_in_lower_case_says_what_it_was(world):
    w = world(panel_class=RemainsPanel)
    order_id = w.order(SERVICE_FOLLOWERS, "In progress")
    w.panel.charges[order_id] = "0.90"
    w.poll()  # 0.90 USD
    w.panel.charges[order_id] = "0.00"
    w.panel.currencies = {order_id: "usd"}
    w.panel.pin(order_id, "Canceled")
    w.poll()
    [alert] = alerts(w, "order_canceled")
    assert "charge 0.00 usd, was 0.90 usd" in alert["message"], alert["message"]


def _orders(path: Path, rows: list[tuple[int, int, float, str | None]]) -> None:
    conn = sqlite3.connect(path)
    stamp = iso(utcnow().replace(microsecond=0))
    with conn:
        for service, order_id, charge, currency in rows:
            conn.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, status, remains, "
                "charge, currency, created_at, updated_at, completed_at, last_change_at, "
                "polling) VALUES ('p', ?, ?, 100, 'Completed', 0, ?, ?, ?, ?, ?, ?, 0)",
                [order_id, service, charge, currency, stamp, stamp, stamp, stamp],
            )
    conn.close()


def test_report_adds_up_a_currency_written_in_two_cases_as_one(tmp_path):
    path = tmp_path / "t.db"
    Store(path).close()
    _orders(
        path,
        [
            (1, 1, 10.0, "USD"),
            (1, 2, 2.3, "usd"),  # the panel's script wrote it in lower case for a while
            (1, 3, 4.0, "EUR"),
            (2, 4, 0.5, "usd"),
            (2, 5, 0.25, " usd"),
            (3, 6, 20.0, "rub"),
            (3, 7, 0.477, "Rub"),
        ],
    )
    services = json.loads(report(path, "--json"))["services"]
    got = [(r["service"], r["spend"], r["currency"], r["spend_by_currency"]) for r in services]
    assert got == [
        (3, 20.477, "rub", [{"currency": "rub", "spend": 20.477}]),
        (1, None, None, [{"currency": "USD", "spend": 12.3}, {"currency": "EUR", "spend": 4.0}]),
        (2, 0.75, "usd", [{"currency": "usd", "spend": 0.75}]),
    ]
    lines = report(path).splitlines()[2:]
    assert [line.split()[1] for line in lines] == ["3", "1", "2"]
    assert lines[1].endswith(" 12.30 USD, 4.00 EUR"), lines[1]
    assert "usd," not in "\n".join(lines)


@pytest.mark.usefixtures("fresh_logs")
def test_a_balance_written_in_another_case_is_no_change_of_currency(tmp_path, clock):
    with capture_logs() as logs, balance_job(tmp_path, clock, "sim-key-CaseCur42") as (panel, job):
        for currency in ("USD", "usd", " Usd", "USD"):
            panel.currency = currency
            assert job.run()
            clock.advance(3600)
    assert [e for e in logs if e["event"] == "balance_currency_changed"] == []

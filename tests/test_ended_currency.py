"""An ended order's charge keeps the currency it was charged in (money63).

A panel switching currency after an order ended answered its late check (or
a poll of it, resumed) with the charge in the new currency: the order's
charge was relabelled, its spend moved from one currency to the other in
`report`, nothing logged. Now the stored charge and currency are kept, and
said once, at warning. Its later late checks are made (money64): a refund
given once the panel answers in the order's currency again is read.
"""

from __future__ import annotations

import json

import pytest
from conftest import FakeClock
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H, World
from structlog.testing import capture_logs
from test_dashboard_cards import card
from test_late_checks_hostile import RemainsPanel
from test_late_refunds import after, alerts, ended, stored

from tracker.clock import utcnow
from tracker.sim.server import SERVICE_FOLLOWERS


def _spends(w: World) -> list[dict]:
    """What `report --json` says each service spent, per currency."""
    result = w.cli("report", "--json", "--since", "3650d")
    assert result.exit_code == 0, result.output
    return [f for s in json.loads(result.output)["services"] for f in s["spend_by_currency"]]


def _told(logs: list[dict]) -> list[dict]:
    return [e for e in logs if e["event"] == "order_currency_changed"]


def _tracked_again_in_euros(w: World) -> int:
    """An order ended Canceled charged 1.25 USD, polled again (untracked,
    then tracked: resumed), the panel giving its charge as 0.00 EUR."""
    order_id = ended(w, "Canceled", "1.25")
    with w.store.write() as db:
        db.execute(
            "UPDATE orders SET polling = 1, next_check_at = NULL WHERE order_id = ?", [order_id]
        )
    w.panel.charges[order_id] = "0.00"
    w.panel.currencies = {order_id: "EUR"}
    return order_id


@pytest.mark.usefixtures("fresh_logs")
def test_a_late_check_in_another_currency_keeps_the_charge_in_its_own(world):
    w = world(panel_class=RemainsPanel)
    order_id = ended(w, "Partial", "0.90")
    assert _spends(w) == [{"currency": "USD", "spend": 0.9}]
    w.panel.charges[order_id] = "45.50"  # the panel moved to roubles
    w.panel.currencies = {order_id: "RUB"}
    with capture_logs() as logs:
        after(w, H)
    order = stored(w, order_id)
    assert (order["charge"], order["currency"]) == (0.9, "USD")
    assert _spends(w) == [{"currency": "USD", "spend": 0.9}]
    [line] = _told(logs)
    assert line["log_level"] == "warning"
    assert (line["order"], line["charge"], line["currency"]) == (order_id, "0.90", "USD")
    assert (line["said_charge"], line["said_currency"]) == ("45.50", "RUB")
    assert alerts(w, "order_refunded") == alerts(w, "order_charge_raised") == []
    with capture_logs() as later:  # said once: its later checks, kept too, are not said
        after(w, 6 * H)
        after(w, 24 * H)
    assert _told(later) == []
    assert stored(w, order_id)["charge"] == 0.9


def test_a_status_moved_in_another_currency_is_stored_its_charge_kept(world):
    w = world(panel_class=RemainsPanel)
    order_id = ended(w, "Partial", "0.90")
    w.panel.statuses[order_id] = "Refunded"
    w.panel.charges[order_id] = "0.00"
    w.panel.currencies = {order_id: "EUR"}
    after(w, H)
    order = stored(w, order_id)
    assert (order["status"], order["charge"], order["currency"]) == ("Refunded", 0.9, "USD")
    assert [h["charge"] for h in w.store.history("sim", order_id)][-1] == 0.9


@pytest.mark.usefixtures("fresh_logs")
def test_a_poll_of_an_ended_order_in_another_currency_keeps_its_charge(world):
    # An ended order polled again (untracked, then tracked: resumed).
    w = world(panel_class=RemainsPanel)
    order_id = _tracked_again_in_euros(w)
    with capture_logs() as logs:
        w.poll()
    order = stored(w, order_id)
    assert (order["charge"], order["currency"], order["polling"]) == (1.25, "USD", 0)
    [line] = _told(logs)
    assert (line["charge"], line["said_charge"], line["said_currency"]) == ("1.25", "0.00", "EUR")
    assert _spends(w) == [{"currency": "USD", "spend": 1.25}]


def test_a_currency_said_the_same_way_or_first_is_read(world):
    # "usd" for USD is the same currency; a currency never said before is stored.
    w = world(panel_class=RemainsPanel)
    same, first = ended(w, "Canceled", "1.00"), ended(w, "Partial", "0.90")
    with w.store.write() as db:
        db.execute("UPDATE orders SET currency = NULL WHERE order_id = ?", [first])
    w.panel.charges.update({same: "0.00", first: "0.40"})
    w.panel.currencies = {same: "usd", first: "EUR"}
    after(w, H)
    assert (stored(w, same)["charge"], stored(w, same)["currency"]) == (0.0, "usd")
    assert (stored(w, first)["charge"], stored(w, first)["currency"]) == (0.4, "EUR")


@pytest.mark.usefixtures("fresh_logs")
def test_a_refund_after_a_check_in_another_currency_is_seen_and_the_change_said_once(world):
    # A panel answering one late check in roubles, then in dollars again with
    # less charged: the refund was never seen (the check in roubles was the
    # order's last), the order stayed at 0.90 USD in `report`.
    w = world(panel_class=RemainsPanel)
    order_id = ended(w, "Partial", "0.90")
    w.panel.charges[order_id] = "45.50"
    w.panel.currencies = {order_id: "RUB"}
    with capture_logs() as logs:
        after(w, H)
        after(w, 5 * H)  # the 6 h check: in roubles again, not said again
        w.panel.charges[order_id] = "0.30"
        w.panel.currencies = {order_id: "USD"}
        after(w, 18 * H)  # the 24 h check: in dollars, the refund
    assert len(_told(logs)) == 1
    order = stored(w, order_id)
    assert (order["charge"], order["currency"]) == (0.3, "USD")
    [alert] = alerts(w, "order_refunded")
    assert alert["message"] == (
        f"sim: order #{order_id} refunded after it ended Partial: charge 0.90 -> 0.30 USD"
    )
    assert _spends(w) == [{"currency": "USD", "spend": 0.3}]
    w.panel.charges[order_id] = "0.00"
    after(w, 3 * 24 * H)  # its checks are over: asked no more, as any ended order
    assert stored(w, order_id)["charge"] == 0.3
    assert w.store.rows("SELECT kind FROM alert_state WHERE kind GLOB 'order_currency*'") == []


@pytest.mark.usefixtures("fresh_logs")
def test_a_poll_then_late_checks_in_another_currency_say_it_once(world):
    # An ended order tracked again, its poll answered in euros: said by the
    # poll, and again by its first late check an hour later.
    w = world(panel_class=RemainsPanel)
    order_id = _tracked_again_in_euros(w)
    with capture_logs() as logs:
        w.poll()
        after(w, H)
        after(w, 5 * H)
    [line] = _told(logs)
    assert (line["said_charge"], line["said_currency"], line["late"]) == ("0.00", "EUR", False)
    assert (stored(w, order_id)["charge"], stored(w, order_id)["currency"]) == (1.25, "USD")


def test_a_kept_charge_is_summed_in_its_currency_wherever_spend_is(tmp_path):
    # Two orders ended in dollars, kept when the panel gave them in roubles,
    # and one charged in roubles since: two figures everywhere, never a
    # dollar order's spend moved to roubles. (The dashboard counts the last
    # 30 days on the wall clock: this world's clock starts now.)
    w = World(tmp_path, FakeClock(utcnow()), panel_class=RemainsPanel)
    try:
        kept = [ended(w, "Partial", "0.90"), ended(w, "Canceled", "2.00")]
        w.panel.currencies = {order_id: "RUB" for order_id in kept}
        w.panel.charges.update({kept[0]: "45.50", kept[1]: "100.00"})
        placed = w.order(SERVICE_FOLLOWERS, "In progress")
        w.panel.charges[placed] = "10.00"
        w.panel.currencies[placed] = "RUB"
        after(w, H)
        both = [{"currency": "RUB", "spend": 10.0}, {"currency": "USD", "spend": 2.9}]
        assert _spends(w) == both
        table = w.cli("report", "--since", "3650d")
        assert table.output.splitlines()[-1].endswith(" 10.00 RUB, 2.90 USD")
        for view in ("service_scorecard", "daily_activity"):
            [row] = w.store.rows(f"SELECT spend, spend_by_currency FROM {view}")
            assert (row["spend"], json.loads(row["spend_by_currency"])) == (None, both)
        [spend] = card(w.store.path, "overview", "spend-30d")
        assert spend == {"spend": "10.00\xa0RUB<br>2.90\xa0USD"}
        [row] = card(w.store.path, "services", "scorecard")
        assert row["Spend"] == "10.00\xa0RUB<br>2.90\xa0USD"
    finally:
        w.close()

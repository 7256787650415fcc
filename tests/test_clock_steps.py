"""The wall clock stepped (NTP, an operator, a VM restored): nothing waits for it to catch up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H
from structlog.testing import capture_logs

from tracker.clock import iso
from tracker.rules.alerts import PANEL_UNREACHABLE, Reachability, judge_call
from tracker.rules.episodes import Episode
from tracker.rules.polling import STATUS_FAILING, judge_poll
from tracker.sim.server import SERVICE_FOLLOWERS


@pytest.mark.usefixtures("fresh_logs")
def test_orders_stamped_before_the_clock_was_set_back_are_checked_at_once(world):
    w = world()
    w.tracker.everything = False  # due orders only, as the daemon polls
    ids = [w.order(SERVICE_FOLLOWERS, status="Pending") for _ in range(3)]
    w.poll()
    calls = w.panel.calls["status"]
    w.clock.advance(-H)  # their next checks now lie an hour further ahead than any schedule sets
    with capture_logs() as logs:
        w.poll()
    assert w.panel.calls["status"] == calls + 1
    checked = w.store.rows("SELECT last_checked_at FROM orders ORDER BY order_id")
    assert {r["last_checked_at"] for r in checked} == {w.clock().isoformat()}
    warned = [e for e in logs if e["event"] == "next_checks_beyond_schedule"]
    assert [(e["panel"], e["orders"]) for e in warned] == [("sim", len(ids))]
    with capture_logs() as logs:
        w.poll()  # stamped by this clock now: not due, and nothing to say
    assert w.panel.calls["status"] == calls + 1
    assert not [e for e in logs if e["event"] == "next_checks_beyond_schedule"]


def test_an_order_held_back_for_an_error_keeps_its_longer_wait(world):
    # An order the panel calls unknown waits hours between checks: that is a
    # schedule, not a clock step.
    w = world()
    w.tracker.everything = False
    w.order(SERVICE_FOLLOWERS, status="Pending")
    with w.store.write() as db:
        db.execute(
            "UPDATE orders SET error = 'Incorrect order ID', error_count = 2, next_check_at = ?",
            [iso(w.clock() + timedelta(hours=5))],  # the unknown backoff's second step: 6 h
        )
    calls = w.panel.calls["status"]
    w.poll()
    assert w.panel.calls["status"] == calls


# Failures began at 14:00; then the clock was set back two hours, and every
# call and poll kept failing for the 20 minutes below (unreachable_after 15m).
FAILED_AT = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
SET_BACK = [FAILED_AT - timedelta(hours=2) + timedelta(minutes=m) for m in (1, 8, 16, 21)]


def test_a_panel_failing_since_before_the_clock_was_set_back_alerts_after_the_delay():
    state, kinds = Reachability(FAILED_AT), []
    for now in SET_BACK:
        state, kind = judge_call(state, False, now, 900)
        kinds.append(kind)
    # counted from the first failure after the step: 12:01, due at 12:16
    assert kinds == [None, None, PANEL_UNREACHABLE, None]
    assert state.episode.since == SET_BACK[0]


def test_polls_failing_since_before_the_clock_was_set_back_alert_after_the_delay():
    episode, kinds = Episode(False, FAILED_AT, None), []  # kept in alert_state
    for now in SET_BACK:
        episode, kind = judge_poll(episode, True, now, 900)
        kinds.append(kind)
    assert kinds == [None, None, STATUS_FAILING, None]
    assert episode.since == SET_BACK[0]

"""The wall clock stepped (NTP, an operator, a VM restored): nothing waits for it to catch up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H
from resumable import Resumable
from structlog.testing import capture_logs

from tracker.clock import iso
from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.rules.alerts import PANEL_UNREACHABLE
from tracker.rules.clocksteps import Gap
from tracker.rules.episodes import Episode
from tracker.rules.polling import STATUS_FAILING, judge_poll
from tracker.rules.reach_episodes import Reachability, judge_call
from tracker.service.runs import run_once
from tracker.sim.server import SERVICE_FOLLOWERS, PanelServer, SimulatedPanel
from tracker.store.alerts import alerts_since


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


# A VM asleep from 14:05 to 22:05: the wall clock jumps 8 hours forward, the
# monotonic one (CLOCK_MONOTONIC leaves a suspend out) does not.
def test_a_forward_step_is_the_wall_clock_going_further_than_the_monotonic_one():
    from tracker.rules.clocksteps import stepped_forward

    later = FAILED_AT + timedelta(hours=8)
    assert stepped_forward(FAILED_AT, 100.0, later, 101.0)  # asleep 8 h
    assert not stepped_forward(FAILED_AT, 100.0, later, 100.0 + 8 * 3600)  # 8 h awake
    assert not stepped_forward(FAILED_AT, 100.0, FAILED_AT + timedelta(seconds=64), 60.0 + 100)
    assert not stepped_forward(FAILED_AT, 100.0, FAILED_AT - timedelta(hours=1), 100.0)  # back
    assert not stepped_forward(None, None, later, 101.0)  # the first look
    assert not stepped_forward(FAILED_AT, None, later, None)  # no monotonic clock (a test's)


AWOKE = FAILED_AT + timedelta(hours=8)
AFTER_RESUME = [AWOKE + timedelta(minutes=m) for m in (0, 5, 14, 15, 20)]


def test_a_run_of_failed_calls_spanning_a_forward_step_counts_from_after_it():
    state, kinds = judge_call(Reachability(), False, FAILED_AT, 900)[0], []
    for i, now in enumerate(AFTER_RESUME):
        state, kind = judge_call(state, False, now, 900, step=Gap(8 * H if i == 0 else 0.0))
        kinds.append(kind)
    # not "unreachable for 8h" at the first failure after the resume: 15m after it
    assert kinds == [None, None, None, PANEL_UNREACHABLE, None]
    assert state.episode.since == AWOKE


def test_polls_failing_across_a_forward_step_count_from_after_it():
    episode, kinds = Episode(False, FAILED_AT, None), []  # kept in alert_state
    for i, now in enumerate(AFTER_RESUME):
        episode, kind = judge_poll(episode, True, now, 900, stepped=i == 0)
        kinds.append(kind)
    assert kinds == [None, None, None, STATUS_FAILING, None]
    assert episode.since == AWOKE


@pytest.fixture
def resumed(tmp_path):
    """A Tracker on a Resumable clock polling a simulated panel (one open order)."""
    clock = Resumable(FAILED_AT)
    panel = SimulatedPanel(clock=lambda: clock().timestamp(), key="sim-key-01234567", quirks=False)
    server = PanelServer(panel).start()
    data = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": server.url, "key": "sim-key-01234567", "retries": 0}],
        "refill": {"enabled": False},
        "alerts": {"unreachable_after": "15m"},
    }
    config = config_from_dict(data, base_dir=tmp_path, env={})
    tracker = Tracker(config, clock=clock, monotonic=clock.monotonic)
    tracker.store.track("main", panel.seed_orders(1, status="In progress"), clock())
    tracker.everything = True  # every run polls the order
    jobs = [j for j in tracker.jobs() if j.name in ("status:main", "balance:main")]
    yield clock, panel, tracker, jobs
    tracker.close()
    server.stop()


def alerted(tracker):
    return [(r["kind"], r["at"], r["data"].get("since")) for r in alerts_since(tracker.store, None)]


@pytest.mark.parametrize("failing", ["every call", "status only"])
@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_failing_across_a_resume_alerts_15m_after_it_not_at_once(resumed, failing):
    clock, panel, tracker, jobs = resumed
    panel.inject("json500", count=1000, action=None if failing == "every call" else "status")
    kind = PANEL_UNREACHABLE if failing == "every call" else STATUS_FAILING
    with capture_logs():
        run_once(jobs)  # 14:00: failing
        clock.advance(300)
        run_once(jobs)  # 14:05: failing; then asleep until 22:05
        clock.sleep(8 * H)
        run_once(jobs)  # 22:05: one failure after the resume is no "failing for 8h"
        assert alerted(tracker) == []
        for _ in range(3):  # 22:10, 22:15, 22:20: failing on this side too
            clock.advance(300)
            run_once(jobs)
    woke = iso(FAILED_AT + timedelta(minutes=5) + timedelta(hours=8))
    at = iso(FAILED_AT + timedelta(minutes=20) + timedelta(hours=8))
    assert alerted(tracker) == [(kind, at, woke)]  # 15m of failures after the resume
    (row,) = alerts_since(tracker.store, None)
    assert "for 15m" in row["message"]

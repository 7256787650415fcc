"""The benchmark's mature backlog is what the poller's own rules produce."""

from __future__ import annotations

from datetime import timedelta

from bench.aging import age_backlog, replay
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import Cadence, next_check
from tracker.store.orders import Store

CADENCE = Cadence(every=300, max_every=3600)


def test_a_replayed_cohort_was_checked_at_polls_and_is_due_when_its_rules_say(clock):
    now = clock()
    for age in (300, 1800, 7200, 86400, 7 * 86400):
        tracked = now - timedelta(seconds=age)
        state = replay(tracked, now, CADENCE)
        assert tracked <= state.last_checked_at < now
        # checks happen at poll starts, every 300 s from the first one
        assert (state.last_checked_at - tracked).total_seconds() % 300 == 0
        assert state.next_check_at == next_check(state.last_checked_at, tracked, CADENCE)
        # and the poll after the last check is the one at ``now`` or later
        assert state.last_checked_at + timedelta(seconds=300) <= now or age == 300


def test_an_aged_week_of_tracking_leaves_about_one_order_in_twelve_due(tmp_path, clock):
    store = Store(tmp_path / "t.db")
    ids = list(range(1, 6_001))
    store.track("p", ids, clock())
    reports = {i: OrderStatus(i, status="In progress", remains=5) for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        store.apply_reports("p", chunk, {i: reports[i] for i in chunk}, clock(), CADENCE)
    store.close()
    aged = age_backlog(tmp_path / "t.db", "p", clock(), CADENCE, days=7)
    assert aged["orders"] == 6_000
    # Quiet for hours, nearly every order is down to one check an hour: 1/12.
    assert 0.07 < aged["due"] / aged["orders"] < 0.11

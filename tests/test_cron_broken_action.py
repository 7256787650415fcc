"""An action broken for good stops holding the refill round under cron too.

A panel script whose ``balance`` answers HTTP 500 every time while its
status calls answer has a broken balance action, not a failing panel: after
BROKEN_AFTER runs of failures, each ended by another call answered, it no
longer holds the refill round (tests/test_refill_holds.py: the daemon). The
count lived in the process alone: each ``run --once`` from cron, a new
process, began it at 0 and never reached 3, so such a panel never had a
refill round again. It is kept in ``alert_state`` now, read at a run's start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import KEY

from tracker.config.model import ScheduleConfig
from tracker.errors import JobHeld, JobPaused
from tracker.jobs.tracker import Tracker
from tracker.rules.refill_rounds import BROKEN_AFTER, counts_kept, counts_kept_for
from tracker.sim.server import SERVICE_FOLLOWERS

pytestmark = pytest.mark.usefixtures("fresh_logs")

MINUTE = 61.0  # cron's minute
COUNTS = "SELECT kind FROM alert_state WHERE kind GLOB 'failed_runs#*'"


def _run(w: Any, *, balance_ok: bool = False) -> bool:
    """One ``run --once`` (a new process on the world's database), a minute
    on: the poll (answered), the balance check (failing unless
    ``balance_ok``), then the refill round; return whether the round ran."""
    w.clock.advance(MINUTE)
    tracker = Tracker(w.config, clock=w.clock, once=True)
    tracker.everything = True
    try:
        tracker.watch.carry_outages()  # what cli/run.py's run --once does first
        jobs = {job.name: job for job in tracker.jobs()}
        assert jobs["status:sim"].run()
        assert jobs["balance:sim"].run() is balance_ok
        try:
            return bool(jobs["refill:sim"].run())
        except JobHeld:  # held, not run
            return False
    finally:
        tracker.close()


def _world(world: Any) -> tuple[Any, int]:
    w = world()
    (order,) = w.dropped(1)  # due a refill
    w.order(SERVICE_FOLLOWERS, "In progress")  # open: each poll asks the panel
    w.panel.inject("json500", count=1000, action="balance")  # a PHP fatal error
    return w, order


def test_the_third_run_of_a_broken_balance_runs_the_refill_round(world) -> None:
    w, order = _world(world)
    assert BROKEN_AFTER == 3
    assert not _run(w)  # nothing tells yet whether the panel or its balance fails
    assert not _run(w)
    assert w.requests(order) == []
    # Before: held at every run, each run's count begun at 0: no refill ever.
    assert _run(w)  # as the daemon's third round
    assert [r["status"] for r in w.requests(order)] != []  # the refill was asked for
    assert w.store.rows(COUNTS) == [{"kind": "failed_runs#balance#3"}]


def test_a_balance_answer_resets_the_count_across_runs(world) -> None:
    w, _order = _world(world)
    assert not _run(w)
    assert not _run(w)
    w.panel.clear_faults()
    assert _run(w, balance_ok=True)  # answered: not broken, the count gone
    assert w.store.rows(COUNTS) == []
    w.panel.inject("json500", count=1000, action="balance")
    assert not _run(w)  # counted from 1 again: held
    assert not _run(w)


def test_a_count_left_long_ago_is_forgotten(world) -> None:
    w, _order = _world(world)
    assert not _run(w)
    assert not _run(w)
    w.clock.advance(7 * 86400.0)  # the tracker stopped for a week
    assert not _run(w)  # a count of a week ago: not broken now
    assert w.store.rows(COUNTS) == [{"kind": "failed_runs#balance#1"}]


def test_a_count_is_kept_twice_the_longest_job_interval() -> None:
    at = datetime(2026, 12, 7, 12, tzinfo=UTC)
    kept_for = counts_kept_for(900.0, ScheduleConfig())  # the defaults
    assert kept_for == 12 * 3600.0  # twice services_every (6 hours)
    stored = {"balance": (2, at), "services": (1, at - timedelta(hours=13))}
    assert counts_kept(stored, at + timedelta(hours=1), kept_for) == {"balance": 2}
    # A time after now (the clock set back since): not known, forgotten.
    assert counts_kept(stored, at - timedelta(minutes=1), kept_for) == {}


def _insert_count(w: Any, panel: str, kind: str) -> None:
    """A count as an earlier ``run --once`` stored it, a minute ago."""
    at = (w.clock() - timedelta(minutes=1)).isoformat()
    with w.store.write() as db:
        db.execute(
            "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 0, ?)",
            [panel, kind, at],
        )


def test_the_counts_of_a_panel_no_longer_configured_are_forgotten_by_the_next_run(world) -> None:
    # A panel taken out of the config: before, its counts stayed in
    # alert_state for ever, read by no run. The next run deletes them.
    w, _order = _world(world)
    _insert_count(w, "gone", "failed_runs#balance#2")
    _insert_count(w, "gone", "failed_runs#services#1")
    assert not _run(w)
    assert w.store.rows(COUNTS + " ORDER BY panel, kind") == [{"kind": "failed_runs#balance#1"}]
    assert w.store.rows("SELECT panel FROM alert_state WHERE kind GLOB 'failed_runs#*'") == [
        {"panel": "sim"}
    ]


def _jobs(w: Any, *names: str) -> None:
    """One ``run --once`` a minute on, running the jobs ``names``."""
    w.clock.advance(MINUTE)
    tracker = Tracker(w.config, clock=w.clock, once=True)
    try:
        tracker.watch.carry_outages()
        jobs = {job.name: job for job in tracker.jobs()}
        for name in names:
            try:
                jobs[name].run()
            except (JobHeld, JobPaused):  # held, or the key refused
                pass
    finally:
        tracker.close()


def test_a_key_accepted_again_after_auth_failed_begins_the_counts_anew(world) -> None:
    # The services call failed in two runs; then the panel refused the key
    # (auth_failed) and the user put the right one in. Before: the old
    # count held, a single failure of services after the fix judged it
    # broken (3), no longer holding the refill round.
    w, _order = _world(world)
    w.panel.clear_faults()
    w.panel.inject("json500", count=1000, action="services")
    _jobs(w, "status:sim", "services:sim")
    _jobs(w, "status:sim", "services:sim")
    assert w.store.rows(COUNTS) == [{"kind": "failed_runs#services#2"}]
    w.panel.key = "another-key-entirely"  # the key refused: auth_failed
    _jobs(w, "status:sim", "balance:sim")
    assert w.store.rows(COUNTS) == [{"kind": "failed_runs#services#2"}]  # kept meanwhile
    w.panel.key = KEY  # the right key: auth_recovered at the balance probe
    _jobs(w, "balance:sim")
    kinds = [r["kind"] for r in w.store.rows("SELECT kind FROM alerts ORDER BY id")]
    assert kinds[-2:] == ["auth_failed", "auth_recovered"]
    assert w.store.rows(COUNTS) == []  # the new key's calls counted on their own

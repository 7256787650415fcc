"""The daemon's prune across a wall clock stepped while it runs: a clock set
a year ahead (an operator's typo, a wrong NTP server) must not have the daily
prune delete the history a prune at the real time keeps; set ahead and back
again, nothing is held; a sleep the boot clock tells is real time. The
fixture's history (tests/test_prune.py), pruned at 365 days."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable
from structlog.testing import capture_logs
from test_prune import NOW, build, rows
from test_prune_run_urls import sim_and_new

from tracker.jobs.prune import AutoPrune

DAY = 86400.0
pytestmark = pytest.mark.usefixtures("fresh_logs")  # every test reads log lines
KEPT_AT_NOW = [3, 4, 5, 7, 8, 11]  # what a prune at the real time keeps (test_prune's GONE)


@pytest.fixture(params=[False, True], ids=["no-boot-clock", "boot-clock"])
def daemon(tmp_path, request):
    """The daemon's prune on a database of the fixture's history, its wall
    clock at the real time, with or without the boot clock."""
    build(tmp_path / "t.db")
    clock = Resumable(NOW)
    boot = clock.boottime if request.param else None
    job = AutoPrune(
        sim_and_new(tmp_path), threading.Event(), clock=clock,
        monotonic=clock.monotonic, boottime=boot,
    )  # fmt: skip
    return clock, job, tmp_path / "t.db", request.param


def kept(db) -> list[int]:
    return [r[0] for r in rows(db, "SELECT order_id FROM orders ORDER BY order_id")]


def test_a_clock_set_a_year_ahead_deletes_nothing_a_prune_now_keeps(daemon):
    # Set 400 days ahead, the prune 10 minutes later deleted every order
    # finished in the last 400 days: orders 5 and 8 ended 10 days ago.
    clock, job, db, _ = daemon
    clock.advance(600)
    clock.step(400 * DAY)
    with capture_logs() as logs:
        assert job.run()
    assert kept(db) == KEPT_AT_NOW
    (held,) = [e for e in logs if e["event"] == "prune_clock_held"]
    assert held["held_s"] == 400 * 86400
    assert held["cutoff"].startswith((NOW - timedelta(days=365)).date().isoformat())


def test_a_clock_set_ahead_and_back_again_holds_nothing(daemon):
    clock, job, db, _ = daemon
    clock.step(400 * DAY)
    assert job.run()
    clock.step(-400 * DAY)  # put right: the rows stamped meanwhile are ahead, kept
    clock.advance(DAY)
    with capture_logs() as logs:
        assert job.run()
    assert kept(db) == KEPT_AT_NOW
    assert [e for e in logs if e["event"] == "prune_clock_held"] == []


def test_a_clock_set_back_then_forward_again_holds_the_rows_stamped_behind(daemon):
    # Rows stamped while the clock read 30 days behind read 30 days older
    # once it is put right: held back by as much.
    clock, job, db, _ = daemon
    clock.step(-30 * DAY)
    assert job.run()
    clock.step(30 * DAY)
    with capture_logs() as logs:
        assert job.run()
    (held,) = [e for e in logs if e["event"] == "prune_clock_held"]
    assert held["held_s"] == 30 * 86400


def test_a_sleep_the_boot_clock_tells_is_real_time(daemon):
    clock, job, _, boot = daemon
    clock.sleep(30 * DAY)  # a VM suspended a month
    with capture_logs() as logs:
        assert job.run()
    said = [e["held_s"] for e in logs if e["event"] == "prune_clock_held"]
    # Without the boot clock it may have been a step: held back, never deleting more.
    assert said == ([] if boot else [30 * 86400])

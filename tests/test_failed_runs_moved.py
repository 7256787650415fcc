"""A panel whose ``url`` changed in the config starts its actions' counts of
runs of failures anew, under cron (``run --once``: the rows counted at the
old URL deleted by the first run at the new one) and at a daemon's reload,
as a panel's capabilities hold only at the URL they were learned at. Before,
two runs failing at the old address (the reason it was moved) came along:
the first failure at the new address made the action broken (3), no longer
holding the refill round, as if it had failed there three times.
"""

from __future__ import annotations

from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_cron_broken_action import COUNTS, _jobs, _world

from tracker.config.load import load_config
from tracker.errors import JobHeld
from tracker.jobs.tracker import Tracker

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _moved(w: Any) -> None:
    """Give the world's panel another URL in its config (the same server: its
    path with a trailing slash, another URL to the tracker)."""
    url = w.server.url
    w.path.write_text(w.path.read_text().replace(f'url = "{url}"', f'url = "{url}/"'))
    w.config = load_config(str(w.path), env={})
    assert w.config.panels[0].url == url + "/"


def _failing_services(w: Any) -> None:
    w.panel.clear_faults()
    w.panel.inject("json500", count=1000, action="services")


def test_cron_counts_of_the_old_url_are_not_carried_to_the_new(world) -> None:
    w, _order = _world(world)
    _failing_services(w)
    _jobs(w, "status:sim", "services:sim")
    _jobs(w, "status:sim", "services:sim")
    assert w.store.rows(COUNTS) == [{"kind": "failed_runs#services#2"}]
    _jobs(w, "status:sim")  # the same URL: kept
    assert w.store.rows(COUNTS) == [{"kind": "failed_runs#services#2"}]
    _moved(w)
    _jobs(w, "status:sim", "services:sim")  # its first failure at the new URL
    assert w.store.rows(COUNTS) == [{"kind": "failed_runs#services#1"}]
    _jobs(w, "status:sim", "services:sim")
    assert w.store.rows(COUNTS) == [{"kind": "failed_runs#services#2"}]  # counted there on


def test_cron_a_move_with_no_failure_since_deletes_the_old_counts(world) -> None:
    w, _order = _world(world)
    _failing_services(w)
    _jobs(w, "status:sim", "services:sim")
    _moved(w)
    _jobs(w, "status:sim")
    assert w.store.rows(COUNTS) == []
    assert w.store.rows("SELECT kind FROM alert_state WHERE kind GLOB 'failed_runs*'") == []


def test_a_reload_to_another_url_begins_the_daemons_counts_anew(world) -> None:
    w, _order = _world(world)
    _failing_services(w)
    for _ in range(2):  # each run of failures ended by a poll answered
        assert not w.jobs["services:sim"].run()
        w.poll()
    _moved(w)
    new = Tracker(w.config, clock=w.clock)
    try:
        new.everything = True
        new.watch.take_over(w.tracker.watch)  # the reload (SIGHUP)
        jobs = {job.name: job for job in new.jobs()}
        assert not jobs["services:sim"].run()  # the first failure at the new URL
        # Counted 1 there: the failing panel holds the round (3 would be
        # an action broken for good, holding nothing).
        assert (new.watch.refills_held("sim") or "").endswith("(services)")
        with pytest.raises(JobHeld):
            jobs["refill:sim"].run()
    finally:
        new.close()


def test_a_reload_keeping_the_url_keeps_the_daemons_counts(world) -> None:
    w, _order = _world(world)
    _failing_services(w)
    for _ in range(2):
        assert not w.jobs["services:sim"].run()
        w.poll()
    new = Tracker(w.config, clock=w.clock)
    try:
        new.watch.take_over(w.tracker.watch)
        jobs = {job.name: job for job in new.jobs()}
        assert not jobs["services:sim"].run()  # the third: broken, holding nothing
        assert new.watch.refills_held("sim") is None
    finally:
        new.close()

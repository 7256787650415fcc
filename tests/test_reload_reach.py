"""A reload (SIGHUP) while a panel's calls fail carries the run of failures on:
``panel_unreachable`` counts from its first failure, not from the last reload,
and the refill round stays held, also for a failure the old generation's call
still in flight reports after the reload (soak36)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable
from structlog.testing import capture_logs

from tracker.alerts.alerter import Alerter
from tracker.config.load import config_from_dict
from tracker.jobs.reach import Reach
from tracker.jobs.tracker import Tracker
from tracker.service import process
from tracker.service.daemon import Generation
from tracker.service.jobstats import JobStats
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.service.runs import guarded
from tracker.sim.scripts import quirks_from
from tracker.sim.server import PanelServer

pytestmark = pytest.mark.usefixtures("fresh_logs")


@pytest.fixture
def built(tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch):
    """A Service on the test's clock, the Trackers its generations are built on,
    and the generations built (closed at the end)."""
    trackers: list[Tracker] = []
    generations: list[Generation] = []

    class Clocked(Tracker):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, clock=clock, **kwargs)
            trackers.append(self)

    monkeypatch.setattr(process, "Tracker", Clocked)
    base: dict[str, Any] = {
        "database": {"path": "t.db"},
        "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
        "alerts": {"unreachable_after": "15m"},
    }
    config = config_from_dict(base, base_dir=tmp_path, env={})
    service = Service(config, load=lambda: config, notifier=Notifier(None))

    def build(**changed: Any) -> Generation:  # a start, then each reload (``changed``: its config)
        if changed:
            settings = {**base, **changed, "database": {"path": "t.db"}}
            generations.append(
                service._build(config_from_dict(settings, base_dir=tmp_path, env={}))
            )
        else:
            generations.append(service._build(service.config))
        return generations[-1]

    yield build, trackers
    for generation in generations:
        generation.close()


def call_failed(tracker: Tracker) -> None:
    """One of ``tracker``'s calls to panel p failed: tell its call observers, as the
    client does once a call, its retries included, has failed."""
    for observer in tracker.clients["p"].call_observers:
        observer("p", "balance", False, 0.1, "connection refused by 127.0.0.1:9")


def refill_round(generation: Generation) -> bool:
    """Run the refill round of panel p as ``generation``'s scheduler would."""
    job = next(job for job in generation.jobs if job.name == "refill:p")
    return guarded(job, JobStats())()


def alerts(logs: list[dict]) -> list[str]:
    return [entry["alert"] for entry in logs if entry.get("event") == "alert"]


def test_reloads_more_often_than_unreachable_after_do_not_keep_a_dead_panel_quiet(
    built, clock
) -> None:
    # Soak: a panel refusing every connection, SIGHUP every 20 s, unreachable_after
    # 30 s: no panel_unreachable in 2 minutes (status_failing only); without the
    # reloads it came after 35 s. Here: a call every 5 minutes, a reload every 10.
    build, trackers = built
    build()
    raised = []
    with capture_logs() as logs:
        for minute in range(0, 40, 5):
            if minute and minute % 10 == 0:
                build()  # the reload
            call_failed(trackers[-1])
            raised.append((minute, alerts(logs)))
            clock.advance(300)
    assert [m for m, kinds in raised if kinds][:1] == [15]  # as without a reload
    assert alerts(logs) == ["panel_unreachable"]  # once


def test_a_failure_the_old_generation_reports_after_the_reload_holds_the_refill_round(
    built,
) -> None:
    # Soak: a reload while gamma's call hung; the call timed out in the old
    # generation a moment later, and the new generation's first refill round
    # sent 3 requests into the silent panel (Unknown, counted toward
    # refill.max_requests, a refill_unknown alert): it knew of no failure.
    build, trackers = built
    build()
    build()  # the reload, the old generation's call still in flight
    call_failed(trackers[0])  # ...which fails now
    held = trackers[1].watch.refills_held("p")
    assert held is not None and "failed since" in held


def test_a_hold_told_before_a_reload_is_not_told_again_by_the_new_generation(built) -> None:
    # Soak (soak9): a panel killed for 90 s, two reloads inside the outage: the
    # hold was told once a round, and each new generation would tell it anew.
    build, trackers = built
    old = build()
    call_failed(trackers[0])
    with capture_logs() as logs:
        assert not refill_round(old)
        new = build()  # the reload, the panel still failing
        assert not refill_round(new)
        assert not refill_round(new)
    held = [e for e in logs if e["event"] == "refill_round_held"]
    assert [e["log_level"] for e in held] == ["warning", "debug", "debug"]


def test_a_panel_s_once_only_warnings_are_not_logged_again_at_each_reload(built) -> None:
    # Soak (soak9): a panel printing PHP notices, 10 SIGHUPs: 11
    # panel_prints_notices warnings, one a generation ("once per panel").
    build, trackers = built
    with PanelServer(key="k" * 12, script=quirks_from(["notices=plain"])) as server:
        panels = [{"name": "p", "url": server.url, "key": "k" * 12}]
        with capture_logs() as logs:
            build(panels=panels)
            trackers[-1].clients["p"].balance()
            build(panels=panels)  # the reload
            trackers[-1].clients["p"].balance()
        told = [e for e in logs if e["event"] == "panel_prints_notices"]
        assert len(told) == 1
        moved = [{**panels[0], "url": server.url + "/"}]  # another URL: maybe another script
        with capture_logs() as logs:
            build(panels=moved)
            trackers[-1].clients["p"].balance()
        assert [e["event"] for e in logs].count("panel_prints_notices") == 1


def test_a_reload_at_a_resume_still_sees_the_clock_step() -> None:
    # A SIGHUP waiting at a VM's resume (a catch-up timer reloading the
    # daemon): the old generation's calls in flight, judged by the new one,
    # found no last look to tell the step by: "failed for 8h5m" at once.
    clock, raised = Resumable(datetime(2026, 5, 1, 14, tzinfo=UTC)), []
    sink = SimpleNamespace(send=lambda alert: raised.append(alert.kind))
    old = Reach(clock, clock.monotonic, Alerter(None, sink, clock=clock), 900)
    for _ in range(2):  # 14:00, 14:05: failing
        old.observe("p", "status", False, 0.1, "connection refused")
        clock.advance(300)
    clock.sleep(8 * 3600)
    new = Reach(clock, clock.monotonic, Alerter(None, sink, clock=clock), 900)
    new.take_over(old)
    old.observe("p", "status", False, 0.1, "connection refused")  # in flight at the reload
    assert raised == []  # one failure after the resume is no "failing for 8h"
    for _ in range(3):
        clock.advance(300)
        new.observe("p", "status", False, 0.1, "connection refused")
    assert raised == ["panel_unreachable"]  # 15m of failures after the resume


def test_a_panel_dropped_by_a_reload_and_added_again_later_starts_a_new_run(built, clock) -> None:
    # Each reload carried every panel's run of failures, those of panels the
    # config no longer had too: added again 3 days later, its first failed
    # call raised "every call has failed for 3d" and its refill round waited.
    build, trackers = built
    build()
    with capture_logs() as logs:
        call_failed(trackers[0])
        without_p = {"name": "q", "url": "http://127.0.0.1:9/api/v2", "key": "q" * 12}
        build(panels=[without_p])  # the reload dropping p
        clock.advance(3 * 86400)
        build()  # p added again
        assert trackers[-1].watch.refills_held("p") is None
        call_failed(trackers[-1])
    assert alerts(logs) == []  # a run of one failure, not one of 3 days

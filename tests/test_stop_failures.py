"""A job cut short by a stop is the stop's, not a failure.

Soak (ops16): SIGTERM while the panel sent its answers a byte at a time:
the calls on the wire ended at their deadlines during the stop, and each
job failed: ``daemon_stopped ... failures: 6``, ``job_failures_total``
counted them, as if the panel had failed the jobs. A run that ends without
success once the stop is set ends as a run the stop cut short does
(``job_stopped``): counted in neither."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, drip
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_metrics import parsed

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.service.callstats import CallCounters
from tracker.service.daemon import Generation, JobStats
from tracker.service.mainloop import serve
from tracker.service.metrics import collect
from tracker.signals import Signals

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "stop-failures-key-Zx4Cv8Bn2Mq6"
WAIT = 20.0
BESIDE = ("status", "services", "balance")  # the jobs a start runs at once


def _tracker(tmp_path: Path, url: str) -> Tracker:
    panels = [{"name": "p", "url": url, "key": KEY, "retries": 0, "timeout": "1s"}]
    settings = {"database": {"path": str(tmp_path / "t.db")}, "panels": panels}
    # Its calls waited for to their deadline, as run --once's first stop does (the
    # daemon's stop ends a read's wait: test_stop_dripping_reads.py).
    config = config_from_dict(settings, base_dir=tmp_path, env={})
    tracker = Tracker(config, stop_cuts_reads=False)
    tracker.store.track("p", [101, 102], tracker.clock())
    return tracker


def test_jobs_whose_calls_a_stop_cut_short_are_no_failures(tmp_path: Path) -> None:
    asked: dict[str, threading.Event] = {kind: threading.Event() for kind in BESIDE}

    def respond(form: dict[str, str]) -> Any:
        asked[form.get("action", "")].set()
        return drip(every=0.1)  # never done: each call ends at its 1 s deadline

    signals, stats = Signals(), JobStats()

    def on_ready() -> None:  # SIGTERM once every first call is on the wire
        assert all(event.wait(WAIT) for event in asked.values())
        signals.stop = True

    with HostileServer(respond) as server:
        tracker = _tracker(tmp_path, server.url)
        first = Generation(tracker.jobs(), tracker.stop_event, tracker.close)
        with capture_logs() as logs:
            serve(first, signals, stats=stats, on_ready=on_ready)
    stopped = [e for e in logs if e["event"] == "daemon_stopped"]
    assert [(e["runs"], e["failures"]) for e in stopped] == [(3, 0)]  # before: (3, 3)
    assert not stats.failures_by_job and not stats.last_failed
    got = parsed(collect(None, CallCounters(), stats))
    failures = {k: v for k, v in got.items() if k.startswith("smm_tracker_job_failures_total")}
    assert set(failures.values()) == {0}  # before: 1 for each of the three
    cut = sorted(e["job"] for e in logs if e["event"] == "job_stopped")
    assert cut == ["balance:p", "services:p", "status:p"]
    assert not [e for e in logs if e["event"] == "job_failed"]


def test_without_a_stop_the_same_runs_fail(tmp_path: Path) -> None:
    # The other half: the stop, not the drip, is what makes them no failures.
    from tracker.service.runs import run_once

    with HostileServer(lambda form: drip(every=0.1)) as server:
        tracker = _tracker(tmp_path, server.url)
        try:
            stats = JobStats()
            jobs = [j for j in tracker.jobs() if j.name.partition(":")[0] in BESIDE]
            with capture_logs():
                assert run_once(jobs, stats) is False
        finally:
            tracker.close()
    assert stats.failures == 3
    assert stats.last_failed == {"status:p", "services:p", "balance:p"}

"""A poll a stop cuts short is the stop's, not a success.

Operator's week (daemon90): SIGTERM (or a SIGHUP's reload) while the panel
hung on a status call: the daemon's stop ends a read's wait within a second,
and the poll then returned as if it had checked every due order: no
``job_stopped`` (README: "its job `job_stopped`"), the poll counted a
success, ``smm_tracker_last_poll_success_timestamp_seconds`` and
``smm_tracker_job_last_success_timestamp_seconds`` moved to the stop's
moment and the poll's duration was timed. A reload every few minutes (a
config tool, a webhook changed) so kept resetting the README's alert on a
stale poll while the panel answered nothing. Now such a poll is
``job_stopped``: neither a success nor a failure."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, drip, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_metrics import parsed

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import collect
from tracker.service.runs import guarded

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "stop-cut-poll-key-Hy6Tg2Rf9Ed4"
JOIN = 10.0  # generous: the panel's timeout is 20 s, a stop ends the call within ~1 s
SUCCESS = 'smm_tracker_last_poll_success_timestamp_seconds{panel="p"}'


def _tracker(tmp_path: Path, url: str) -> Tracker:
    panels = [{"name": "p", "url": url, "key": KEY, "retries": 0, "timeout": "20s"}]
    settings = {"database": {"path": str(tmp_path / "t.db")}, "panels": panels}
    tracker = Tracker(config_from_dict(settings, base_dir=tmp_path, env={}))
    tracker.everything = True  # every open order due at each poll
    tracker.store.track("p", [101, 102], tracker.clock())
    return tracker


def test_a_poll_whose_call_a_stop_ends_is_stopped_not_a_success(tmp_path: Path) -> None:
    asked = threading.Event()
    first = {"101": {"status": "In progress", "remains": "5", "charge": "0.1", "currency": "USD"}}
    first["102"] = first["101"]
    answers = iter([json_reply(first)])

    def respond(form: dict[str, str]) -> Any:
        answer = next(answers, None)  # the first poll answered, then a hang
        if answer is None:
            asked.set()
            return drip(every=1.0)  # never done within the 20 s timeout
        return answer

    with HostileServer(respond) as server:
        tracker = _tracker(tmp_path, server.url)
        stats, counters = JobStats(), CallCounters()
        stats.observers.append(counters.observe_job)
        (job,) = [j for j in tracker.jobs() if j.name == "status:p"]
        run = guarded(job, stats, tracker.stop_event)
        try:
            with capture_logs() as logs:
                assert run() is True  # both orders checked
                answered_at = stats.last_ok["status:p"]
                done: list[bool] = []
                on_the_wire = threading.Thread(target=lambda: done.append(run()))
                on_the_wire.start()
                assert asked.wait(JOIN)  # the poll's call is at the panel, hanging
                tracker.stop_event.set()  # SIGTERM, or a reload retiring the jobs
                on_the_wire.join(JOIN)
                cut = not on_the_wire.is_alive()
                on_the_wire.join(30)
        finally:
            tracker.close()
    assert cut and done == [False]  # before: True, a success
    stopped = [e for e in logs if e["event"] == "job_stopped"]
    assert [e["job"] for e in stopped] == ["status:p"]  # before: none
    assert "stopping" in stopped[0]["reason"]
    assert stats.failures == 0 and not stats.last_failed  # the stop's: no failure either
    got = parsed(collect(None, counters, stats))
    assert got[SUCCESS] == answered_at  # before: the stop's moment
    assert got['smm_tracker_job_last_success_timestamp_seconds{job="status:p"}'] == answered_at
    assert got['smm_tracker_poll_duration_seconds_count{panel="p"}'] == 1  # before: 2


def test_a_poll_that_ends_before_the_stop_is_a_success(tmp_path: Path) -> None:
    # The other half: a stop after every due order was answered cuts nothing.
    answer = {str(i): {"status": "Completed", "remains": "0", "charge": "0.1"} for i in (101, 102)}
    with HostileServer(lambda form: json_reply(answer)) as server:
        tracker = _tracker(tmp_path, server.url)
        stats = JobStats()
        (job,) = [j for j in tracker.jobs() if j.name == "status:p"]
        try:
            with capture_logs() as logs:
                assert guarded(job, stats, tracker.stop_event)() is True
                tracker.stop_event.set()
        finally:
            tracker.close()
    assert "status:p" in stats.last_ok
    assert not [e for e in logs if e["event"] == "job_stopped"]

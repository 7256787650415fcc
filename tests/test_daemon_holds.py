"""The daemon's ``failing:`` (systemd's STATUS= line) and
``smm_tracker_job_failures_total`` count what failed, not what the tracker
held back on purpose: a refill round held while the panel's calls fail
(``refill round held``), a key refused (``paused (key refused)``) the same
whichever of the panel's jobs asked first; and a job that failed, then
paused or held, is no longer ``failing:``."""

from __future__ import annotations

from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_metrics import parsed
from test_paused_jobs import KEY, _service, refusing  # noqa: F401  (fixture)

from tracker.service.metrics import render
from tracker.service.runs import guarded, run_once
from tracker.sim.server import PanelServer
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _seen(tmp_path: Any, clock: Any, monkeypatch: Any, panel: PanelServer, runs: Any) -> Any:
    """Start the daemon's Service on ``panel``, have ``runs(jobs, stats)`` run
    its jobs; return its STATUS= line and one scrape, parsed."""
    build = _service(tmp_path, clock, monkeypatch, panel.url)
    generation = build(KEY)
    service = build.service
    try:
        runs({job.name: job for job in generation.jobs}, service.stats)
        return service.status_text(), parsed(render(service._snapshot()))
    finally:
        generation.close()


def _open_orders(tmp_path: Any, clock: Any, panel: PanelServer) -> None:
    """Two open orders of the panel's in the database: the poll asks the panel."""
    store = Store(tmp_path / "t.db")
    store.track("bad", panel.panel.seed_orders(2, status="In progress"), clock())
    store.close()


@pytest.mark.parametrize("first", ["status", "services", "balance"])
def test_a_refused_key_reads_paused_not_failing_whichever_job_asked_first(
    tmp_path: Any,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
    first: str,
) -> None:
    # The job that met the refusal was a failed run ("failing: status:bad; 1
    # failed run since start"), the others paused: the line and the failure
    # counter changed with which job asked first, and kept that job failing
    # for as long as the key stayed wrong.
    _open_orders(tmp_path, clock, refusing)

    def first_run(jobs: dict[str, Any], stats: Any) -> None:  # first, then the others
        run_once(sorted(jobs.values(), key=lambda j: not j.name.startswith(f"{first}:")), stats)

    status, got = _seen(tmp_path, clock, monkeypatch, refusing, first_run)
    assert status == (
        "open orders unknown; no successful poll yet; no job failing; "
        "0 failed runs since start; paused (key refused): bad"
    )
    kinds = ("status", "services", "refill", "automation", "balance")
    failures = {k: got[f'smm_tracker_job_failures_total{{job="{k}:bad"}}'] for k in kinds}
    assert failures == dict.fromkeys(kinds, 0)
    paused = {k: got[f'smm_tracker_job_paused_total{{job="{k}:bad"}}'] for k in kinds}
    assert paused == dict.fromkeys(kinds, 1)
    assert KEY not in status


def test_a_held_refill_round_is_no_failure_and_is_said_held(
    tmp_path: Any,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The round held while the panel's calls fail was a failed run: "failing:
    # balance:bad, refill:bad; 4 failed runs since start", the refill job's
    # failures counting every round of the hold.
    refusing.panel.key = KEY  # the key is taken: its calls fail, not its key
    refusing.panel.inject("json500", count=100, action="balance")

    def held_rounds(jobs: dict[str, Any], stats: Any) -> None:
        run_once([jobs["balance:bad"]], stats)  # a failure: the round waits
        for _ in range(3):
            run_once([jobs["refill:bad"]], stats)
            clock.advance(60)

    status, got = _seen(tmp_path, clock, monkeypatch, refusing, held_rounds)
    assert status == (
        "open orders unknown; no successful poll yet; failing: balance:bad; "
        "1 failed run since start; refill round held: bad"
    )
    assert got['smm_tracker_job_failures_total{job="refill:bad"}'] == 0
    assert got['smm_tracker_job_holds_total{job="refill:bad"}'] == 3
    assert got['smm_tracker_job_holds_total{job="balance:bad"}'] == 0
    assert got['smm_tracker_job_failures_total{job="balance:bad"}'] == 1


def test_a_failed_job_now_paused_for_the_key_is_no_longer_said_failing(
    tmp_path: Any,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The poll failed (HTTP 500), then the key was refused: the line went on
    # reading "failing: status:bad" beside "paused (key refused): bad" for
    # as long as the key stayed wrong, the poll never having run again.
    _open_orders(tmp_path, clock, refusing)
    wrong, refusing.panel.key = refusing.panel.key, KEY  # the key taken at first
    refusing.panel.inject("json500", count=100, action="status")

    def failed_then_refused(jobs: dict[str, Any], stats: Any) -> None:
        run_once([jobs["status:bad"]], stats)  # a real failure
        refusing.panel.key = wrong  # then the key is refused
        clock.advance(300)
        run_once([jobs["balance:bad"], jobs["status:bad"]], stats)

    status, got = _seen(tmp_path, clock, monkeypatch, refusing, failed_then_refused)
    assert status == (
        "open orders unknown; no successful poll yet; no job failing; "
        "1 failed run since start; paused (key refused): bad"
    )
    assert got['smm_tracker_job_failures_total{job="status:bad"}'] == 1  # the past one kept
    assert got['smm_tracker_job_paused_total{job="status:bad"}'] == 1


def test_a_failed_refill_round_now_held_is_no_longer_said_failing(
    tmp_path: Any,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A refill round that failed, then held while the panel's calls fail,
    # read "failing: balance:bad, refill:bad; ...; refill round held: bad".
    from tracker.errors import PanelError
    from tracker.jobs.base import Job

    refusing.panel.key = KEY
    refusing.panel.inject("json500", count=100, action="balance")

    def failed_then_held(jobs: dict[str, Any], stats: Any) -> None:
        def broken() -> bool:
            raise PanelError("bad: HTTP 500")

        refill = jobs["refill:bad"]
        run_once([Job(refill.name, refill.every, broken)], stats)  # a real failure
        run_once([jobs["balance:bad"], refill], stats)  # the calls fail: the round held

    status, got = _seen(tmp_path, clock, monkeypatch, refusing, failed_then_held)
    assert status == (
        "open orders unknown; no successful poll yet; failing: balance:bad; "
        "2 failed runs since start; refill round held: bad"
    )
    assert got['smm_tracker_job_holds_total{job="refill:bad"}'] == 1


def reloaded_while_polling(
    tmp_path: Any, clock: Any, monkeypatch: Any, panel: PanelServer, key: str = KEY
) -> tuple[Any, list[Any], Any]:
    """Start the daemon's Service on ``panel`` (two open orders, a key it
    refuses); return (service, its generations, run): ``run()`` runs the
    first generation's status poll, guarded as the daemon runs it, during
    which a reload (the panel's key ``key``) retires that generation once
    the panel's refusal is on its way back. Close the generations after."""
    _open_orders(tmp_path, clock, panel)
    build = _service(tmp_path, clock, monkeypatch, panel.url)
    service, generations = build.service, [build(KEY)]
    old = generations[0]
    client = service._watch.tracker.clients["bad"]
    call = client._call

    def reloaded_meanwhile(*args: Any, **kwargs: Any) -> Any:
        answer = call(*args, **kwargs)  # the refusal, on its way back
        if len(generations) == 1:
            old.stop_event.set()  # the reload retires the old generation
            generations.append(build(key))
        return answer

    monkeypatch.setattr(client, "_call", reloaded_meanwhile)
    poll = next(job for job in old.jobs if job.name == "status:bad")
    return service, generations, guarded(poll, service.stats, old.stop_event)


def test_a_refusal_a_reload_retired_run_met_is_no_pause(
    tmp_path: Any,
    clock: Any,
    refusing: PanelServer,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A reload came while the old generation's poll was on the wire; its
    # answer refused the key. The old generation, retired, pauses nothing
    # (the new one asks the key again), yet the run counted in
    # smm_tracker_job_paused_total: a pause no log line, STATUS= or gauge saw.
    service, generations, run = reloaded_while_polling(tmp_path, clock, monkeypatch, refusing)
    try:
        run()
        status, got = service.status_text(), parsed(render(service._snapshot()))
    finally:
        for generation in generations:
            generation.close()
    assert len(generations) == 2  # the poll asked, the reload came
    assert got['smm_tracker_job_paused_total{job="status:bad"}'] == 0
    assert got['smm_tracker_job_failures_total{job="status:bad"}'] == 0
    assert "no job failing; 0 failed runs since start" in status
    assert "paused" not in status  # the new generation has not met it yet

"""A panel paused because it refused the key: its jobs' skipped runs are no
failures. An operator watching ``smm_tracker_job_failures_total`` saw it
climb at every tick of every paused job, with no log line per run to say
why; the skips are ``smm_tracker_job_paused_total`` now, and the pause and
its end one line each (``panel_paused`` a warning, ``panel_resumed`` info)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import sim_config
from structlog.testing import capture_logs
from test_metrics import parsed

from tracker.cli.main import main
from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import collect
from tracker.service.runs import run_once
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "paused-key-Qm4Zt8Wc2Hv6"


@pytest.fixture
def refusing(clock: Any) -> Iterator[PanelServer]:
    """A simulated panel that takes another key than the tracker's."""
    panel = SimulatedPanel(key="the-panels-own-key-77", clock=lambda: clock().timestamp())
    with PanelServer(panel) as server:
        yield server


def test_a_paused_panels_skipped_runs_count_as_paused_not_failed(
    tmp_path: Path, clock: Any, refusing: PanelServer
) -> None:
    config = config_from_dict(
        {
            "database": {"path": str(tmp_path / "tracker.db")},
            "panels": [{"name": "bad", "url": refusing.url, "key": KEY, "retries": 0}],
        },
        base_dir=tmp_path,
        env={},
    )
    tracker = Tracker(config, clock=clock)
    tracker.store.track("bad", refusing.panel.seed_orders(3, status="In progress"), clock())
    jobs, stats, calls = tracker.jobs(), JobStats(), CallCounters()
    with capture_logs() as logs:
        for _ in range(5):  # five ticks of every job: the status poll refused at the first
            run_once(jobs, stats)
            clock.advance(300)
        paused = collect(tracker.store, calls, stats)
        asked = refusing.panel.calls["balance"]
        refusing.panel.key = KEY  # the key is accepted again
        for _ in range(2):  # the balance probe resumes the panel, the next run runs all
            run_once(jobs, stats)
            clock.advance(300)
        resumed = collect(tracker.store, calls, stats)
    tracker.close()
    got = parsed(paused)
    # Nothing failed: the poll the key was refused to is paused as the runs
    # the pause then skipped (it was a failure: whichever job asked first,
    # tests/test_daemon_holds.py), and so was each run of the balance probe:
    # it asks, but the key still refused on a paused panel is the pause going
    # on (it counted a failure a probe, 5 here, for as long as the key stayed wrong).
    failures = {j: got[f'smm_tracker_job_failures_total{{job="{j}:bad"}}'] for j in JOBS}
    assert failures == dict.fromkeys(JOBS, 0)
    skipped = {j: got[f'smm_tracker_job_paused_total{{job="{j}:bad"}}'] for j in JOBS}
    assert skipped == dict.fromkeys(JOBS, 5)
    assert asked == 5  # the probe asked at each of its runs all the same
    assert got['smm_tracker_job_runs_total{job="services:bad"}'] == 5
    assert 'smm_tracker_poll_duration_seconds_count{panel="bad"}' not in got  # no skip timed
    # Resumed: the runs succeed; the counts stay where the pause left them.
    again = parsed(resumed)
    assert again['smm_tracker_job_failures_total{job="services:bad"}'] == 0
    assert again['smm_tracker_job_paused_total{job="services:bad"}'] == 6  # then resumed
    assert again['smm_tracker_job_last_success_timestamp_seconds{job="services:bad"}'] > 0
    # The pause and its end: one line each, whatever the ticks between; the end is
    # good news, at info as every end of an episode.
    told = [(e["event"], e["log_level"]) for e in logs if e["event"].startswith("panel_")]
    assert told == [("panel_paused", "warning"), ("panel_resumed", "info")]
    assert KEY not in paused + resumed


JOBS = ("status", "services", "refill", "automation", "balance")


def _refused_run_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> Any:
    """Return `run --once --all`'s result on the panel refusing the key."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "tracker.toml").write_text(sim_config(url, panel="retries = 0"))
    assert CliRunner().invoke(main, ["track", "1", "2"]).exit_code == 0
    return CliRunner().invoke(main, ["run", "--once", "--all"], catch_exceptions=False)


# Whichever job met the refusal, each job is said as the one the pause skipped.
REFUSED_SUMMARY = (
    "sim: statuses not checked, 0 refills asked, balance unknown; "
    "paused (key refused): status, services, refill, automation, balance"
)


def test_run_once_names_the_jobs_a_refused_key_paused_apart_from_the_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusing: PanelServer
) -> None:
    # Its summary listed them as failed jobs; they never ran. Then the poll,
    # the catalogue and the balance probe, side by side, were failed jobs when
    # each asked first and met the refusal, paused when another's refusal came
    # before it asked (under load, 3 runs in 60 for the catalogue): the line
    # changed run after run for the same refused key.
    result = _refused_run_once(tmp_path, monkeypatch, refusing.url)
    assert result.exit_code == 1  # the refusals failed the run
    assert result.stdout.strip().splitlines()[-1] == REFUSED_SUMMARY
    assert "panel_paused" in result.stderr


@pytest.mark.parametrize("first", ["status", "services", "balance"])
def test_a_refused_keys_summary_is_the_same_whichever_job_asked_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusing: PanelServer, first: str
) -> None:
    # The jobs' race made a job refused or skipped by which asked first: here
    # ``first`` runs alone, the others after it (skipped: the panel paused).
    from tracker.service import once

    def one_by_one(chain: list[Any]) -> list[list[Any]]:
        return [[job] for job in sorted(chain, key=lambda job: not job.name.startswith(first))]

    monkeypatch.setattr(once, "stages", one_by_one)
    result = _refused_run_once(tmp_path, monkeypatch, refusing.url)
    assert result.exit_code == 1
    assert result.stdout.strip().splitlines()[-1] == REFUSED_SUMMARY
    # It asked; of the others only the balance probe did (refused again).
    asked = {a: refusing.panel.calls[a] for a in ("status", "services", "balance")}
    assert asked == {"status": 0, "services": 0, "balance": 1, first: 1}


def _service(tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch, url: str) -> Any:
    """Return build(key): the daemon's Service (``build.service``) building a
    generation on the test's clock with the panel's key ``key``: its start,
    then each reload."""
    from tracker.service import process
    from tracker.service.notify import Notifier
    from tracker.service.process import Service

    class Clocked(Tracker):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, clock=clock, **kwargs)

    monkeypatch.setattr(process, "Tracker", Clocked)

    def config(key: str) -> Any:
        panels = [{"name": "bad", "url": url, "key": key, "retries": 0}]
        settings = {"database": {"path": "t.db"}, "panels": panels}
        return config_from_dict(settings, base_dir=tmp_path, env={})

    first = config(KEY)
    service = Service(first, load=lambda: first, notifier=Notifier(None))

    def build(key: str) -> Any:
        return service._build(config(key))

    build.service = service  # type: ignore[attr-defined]
    return build


def test_a_reload_that_fixes_the_key_ends_the_pause_visibly_once(
    tmp_path: Path, clock: Any, refusing: PanelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Soak (soak15): a wrong key, SIGHUP (paused), the key fixed, SIGHUP: the
    # journal had panel_paused and auth_recovered, never panel_resumed: the
    # pause stayed open in the log while the panel's jobs ran again.
    build = _service(tmp_path, clock, monkeypatch, refusing.url)
    generations = []
    try:
        with capture_logs() as logs:
            generations.append(build(KEY))  # the key the panel refuses
            assert run_once(generations[-1].jobs) is False  # refused: paused
            clock.advance(300)
            assert run_once(generations[-1].jobs) is False  # the probe, still refused
            generations.append(build(refusing.panel.key))  # the key fixed, reloaded
            clock.advance(300)
            assert run_once(generations[-1].jobs) is True
            clock.advance(300)
            assert run_once(generations[-1].jobs) is True
    finally:
        for generation in generations:
            generation.close()
    told = [(e["event"], e.get("panel")) for e in logs if e["event"].startswith("panel_")]
    assert told == [("panel_paused", "bad"), ("panel_resumed", "bad")]
    raised = [e["alert"] for e in logs if e["event"] == "alert"]
    assert raised == ["auth_failed", "auth_recovered"]


def test_a_reload_with_the_key_still_wrong_pauses_again_after_its_end(
    tmp_path: Path, clock: Any, refusing: PanelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reload ends the pause (the new jobs run, the key is asked again):
    # refused again, a new pause, told; the alert's episode goes on, no new one.
    build = _service(tmp_path, clock, monkeypatch, refusing.url)
    generations = []
    try:
        with capture_logs() as logs:
            generations.append(build(KEY))
            run_once(generations[-1].jobs)
            generations.append(build(KEY))  # reloaded, the key not fixed
            clock.advance(300)
            run_once(generations[-1].jobs)
            clock.advance(300)
            run_once(generations[-1].jobs)
    finally:
        for generation in generations:
            generation.close()
    told = [e["event"] for e in logs if e["event"].startswith("panel_")]
    assert told == ["panel_paused", "panel_resumed", "panel_paused"]
    assert [e["alert"] for e in logs if e["event"] == "alert"] == ["auth_failed"]

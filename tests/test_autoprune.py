"""The daemon prunes on its own when asked to: `database.prune_older_than`.

Off by default; once a day, the first run 10 minutes after the start; the
command's code (count, batches, prune_runs); a stop honoured between
batches; a reload turning it on or off. The jobs are the daemon's own
(`Service._build`), run as the scheduler runs them (`guarded`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config
from structlog.testing import capture_logs
from test_prune import EXPECTED, GONE, KEY, OLD, ORDERS, _many, build, rows
from test_prune_log import runs as prune_runs

from tracker.config.load import config_from_dict
from tracker.errors import ConfigError
from tracker.jobs.base import Job
from tracker.service.daemon import Generation, Scheduler
from tracker.service.jobstats import JobStats
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.service.runs import guarded, select_jobs

pytestmark = pytest.mark.usefixtures("fresh_logs")

# The job's public face (tracker/jobs/prune.py), written out: what a user sees.
NAME, EVERY, FIRST_AFTER = "prune", 86400.0, 600.0  # `job=prune`; daily; 10 min after start


def settings(tmp_path: Path, **database: Any) -> Any:
    data = {
        "database": {"path": "t.db", **database},
        "panels": [{"name": "sim", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
    }
    return config_from_dict(data, base_dir=tmp_path, env={})


def job_of(generation: Generation) -> Job | None:
    found = [job for job in generation.jobs if job.name == NAME]
    return found[0] if found else None


def told(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in logs if e["log_level"] != "debug"]


# --- the key ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kept", "seconds"),
    [
        ("365d", "365d", 365 * 86400.0),
        (" 8760h ", "8760h", 365 * 86400.0),
        ("30d", "30d", 30 * 86400.0),
        (31536000, "365d", 365 * 86400.0),  # a TOML number: seconds, as every duration
        ("", "", 0.0),
        ("0", "", 0.0),
        (0, "", 0.0),
    ],
)
def test_the_key_reads_a_duration_and_zero_or_empty_is_never(tmp_path, written, kept, seconds):
    database = settings(tmp_path, prune_older_than=written).database
    assert (database.prune_older_than, database.prune_seconds) == (kept, seconds)
    assert settings(tmp_path).database.prune_older_than == ""  # absent: never


@pytest.mark.parametrize("written", ["29d", "719h", "1x", "-5d", 86400, True])
def test_under_30_days_or_unreadable_is_one_problem_naming_the_key(tmp_path, written):
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, prune_older_than=written)
    [problem] = caught.value.problems
    assert problem.startswith("at 'database.prune_older_than': ")
    short = written in ("29d", "719h", 86400)
    assert ("must be at least 30d" if short else "is not a") in problem, problem


def test_a_bad_value_is_one_line_of_the_cli_and_nothing_runs(tmp_path, monkeypatch):
    cli = cli_in(
        tmp_path, monkeypatch, sim_config("http://127.0.0.1:9", database='prune_older_than = "7d"')
    )
    result = cli("orders")
    assert result.exit_code == 2
    assert result.output == (
        f"smm-tracker: config {tmp_path / 'tracker.toml'}: "
        "at 'database.prune_older_than': must be at least 30d "
        '(365d keeps a year of history) (got \'7d\'; "0" or "" never prunes)\n'
    )
    assert "Traceback" not in result.output


# --- the job --------------------------------------------------------------------


def test_off_by_default_and_never_in_run_once(tmp_path):
    build(tmp_path / "t.db")
    service = Service(settings(tmp_path), load=lambda: settings(tmp_path), notifier=Notifier(None))
    off = service._build(service.config)
    try:
        assert job_of(off) is None
    finally:
        off.close()
    on = settings(tmp_path, prune_older_than="365d")
    generation = service._build(on)
    try:
        job = job_of(generation)
        assert job is not None and (job.every, job.first_after) == (EVERY, FIRST_AFTER)
    finally:
        generation.close()
    # `run --once` runs select_jobs' list: a one-shot poll deletes no history.
    from tracker.jobs.tracker import Tracker

    tracker = Tracker(on)
    try:
        assert NAME not in {job.name for job in select_jobs(tracker, on, None)}
    finally:
        tracker.close()


def test_the_daemons_run_deletes_what_the_command_deletes_and_records_it(tmp_path, monkeypatch):
    db = tmp_path / "t.db"
    build(db)
    by_hand = tmp_path / "by-hand"
    by_hand.mkdir()
    config = settings(tmp_path, prune_older_than="365d")
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    generation = service._build(config)
    # The command is run on the database as the daemon's start left it: with
    # no alert target configured, the alert still tried (4) is given up as
    # the daemon starts (nowhere to send it), then old enough to go.
    with sqlite3.connect(db) as source, sqlite3.connect(by_hand / "t.db") as copy:
        source.backup(copy)
    job = job_of(generation)
    assert job is not None
    before = service.stats.progress
    try:
        with capture_logs() as logs:
            assert guarded(job, JobStats(), generation.stop_event)() is True
        # Each batch is progress: the watchdog never takes a long prune for a stuck job.
        assert service.stats.progress > before
        with capture_logs() as again:
            assert guarded(job, JobStats(), generation.stop_event)() is True
    finally:
        generation.close()

    assert {row[0] for row in rows(db, "SELECT order_id FROM orders")} == set(ORDERS) - GONE
    [run] = prune_runs(db)
    assert (run["panel"], run["older_than"]) == (None, "365d")
    given_up = {k: EXPECTED[k] + 1 for k in ("alerts", "alert_deliveries")}  # alert 4 too
    assert run["ended_at"] is not None and json.loads(run["deleted"]) == {**EXPECTED, **given_up}
    [done] = told(logs)
    assert (done["event"], done["log_level"]) == ("prune_done", "info")
    assert done["deleted"] == {**EXPECTED, **given_up} and done["older_than"] == "365d"
    assert done["seconds"] >= 0
    assert told(again) == []  # nothing old enough the next day: a debug line, no row
    assert [e["event"] for e in again if e["event"].startswith("prune")] == ["prune_nothing"]
    assert len(prune_runs(db)) == 1

    cli = cli_in(by_hand, monkeypatch, sim_config("http://127.0.0.1:9"), env={"SIM_KEY": KEY})
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0
    assert rows(by_hand / "t.db", "SELECT * FROM orders") == rows(db, "SELECT * FROM orders")
    for table in ("transitions", "balances", "alerts", "alert_deliveries", "refills"):
        assert rows(by_hand / "t.db", f"SELECT * FROM {table}") == rows(
            db, f"SELECT * FROM {table}"
        ), table
    [command] = prune_runs(by_hand / "t.db")
    assert command["deleted"] == run["deleted"]


def test_a_stop_during_a_run_ends_it_between_batches_and_the_next_run_finishes(tmp_path):
    db = tmp_path / "t.db"
    _many(db, 2500)  # three batches of orders
    config = settings(tmp_path, prune_older_than="365d")
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    generation = service._build(config)
    job = job_of(generation)
    assert job is not None
    auto = job.run.__self__  # type: ignore[attr-defined]
    pause, pauses = auto.pause, []

    def stopping(seconds: float) -> None:  # SIGTERM arrives during the first batch
        pauses.append(seconds)
        generation.stop_event.set()
        pause(seconds)

    auto.pause = stopping
    try:
        with capture_logs() as logs:
            assert guarded(job, JobStats())() is False
    finally:
        generation.close()
    assert len(pauses) == 1  # no batch after the stop
    assert rows(db, "SELECT count(*) FROM orders") == [(1500,)]
    orphans = "SELECT count(*) FROM transitions t LEFT JOIN orders o USING (panel, order_id) "
    assert rows(db, orphans + "WHERE o.order_id IS NULL") == [(0,)]
    [run] = prune_runs(db)
    assert run["ended_at"] is None and json.loads(run["deleted"])["orders"] == 1000
    events = [(e["event"], e["log_level"]) for e in told(logs)]
    assert events == [("prune_stopped", "info"), ("job_stopped", "info")]

    generation = service._build(config)  # the next day (or the next start)
    try:
        job = job_of(generation)
        assert job is not None and guarded(job, JobStats())() is True
    finally:
        generation.close()
    assert rows(db, "SELECT count(*) FROM orders") == [(0,)]
    assert [json.loads(r["deleted"])["orders"] for r in prune_runs(db)] == [1000, 1500]


def test_a_busy_database_is_one_warning_and_no_alert(tmp_path):
    db = tmp_path / "t.db"
    build(db)
    config = settings(tmp_path, prune_older_than="365d", busy_timeout="0s")
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    generation = service._build(config)
    job = job_of(generation)
    assert job is not None
    other = sqlite3.connect(db, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock past busy_timeout
    try:
        with capture_logs() as logs:
            assert guarded(job, JobStats())() is False
    finally:
        other.execute("ROLLBACK")
        other.close()
        generation.close()
    [warning] = told(logs)
    assert (warning["event"], warning["log_level"]) == ("prune_failed", "warning")
    assert "busy" in warning["error"]
    assert rows(db, "SELECT count(*) FROM orders") == [(len(ORDERS),)]
    assert rows(db, "SELECT count(*) FROM alerts") == [(5,)]  # the fixture's own: none raised
    assert prune_runs(db) == []


# --- the schedule ---------------------------------------------------------------


def turns(scheduler: Scheduler) -> dict[str, float]:
    now = time.time()
    return {job.id: job.next_run_time.timestamp() - now for job in scheduler._scheduler.get_jobs()}


def only_prune(generation: Generation) -> Generation:
    """The generation with its prune job alone: no poll calls a panel here."""
    return Generation(
        [job for job in generation.jobs if job.name == NAME],
        generation.stop_event,
        generation.close,
    )


def test_first_run_ten_minutes_after_start_and_a_reload_turns_it_on_and_off(tmp_path):
    build(tmp_path / "t.db")
    on = settings(tmp_path, prune_older_than="365d")
    off = settings(tmp_path)
    loaded = [on]
    service = Service(on, load=lambda: loaded[-1], notifier=Notifier(None))
    scheduler = Scheduler(JobStats())
    scheduler.start(only_prune(service._build(on)))
    try:
        assert 590 < turns(scheduler)[NAME] <= 600  # not at start: a restart loop never prunes

        loaded.append(off)  # SIGHUP with the key removed: no run any more
        new = service._reload()
        assert new is not None and job_of(new) is None
        assert scheduler.replace(only_prune(new))
        assert turns(scheduler) == {}

        loaded.append(on)  # and put back: 10 minutes after the reload
        new = service._reload()
        assert new is not None and job_of(new) is not None
        assert scheduler.replace(only_prune(new))
        assert 590 < turns(scheduler)[NAME] <= 600

        loaded.append(settings(tmp_path, prune_older_than="400d"))  # a new value: its turn kept
        kept = scheduler._scheduler.get_job(NAME).next_run_time
        new = service._reload()
        assert new is not None and scheduler.replace(only_prune(new))
        assert scheduler._scheduler.get_job(NAME).next_run_time == kept
        assert service.config.database.prune_older_than == "400d"
    finally:
        scheduler.shutdown()


def test_a_clock_step_runs_the_other_jobs_now_and_the_prune_ten_minutes_later():
    scheduler = Scheduler(JobStats())
    ran = threading.Event()
    jobs = [
        Job("prune", EVERY, lambda: True, first_after=FIRST_AFTER),
        Job("other", 3600, lambda: ran.set() or True),
    ]
    scheduler.start(Generation(jobs, threading.Event()))
    try:
        assert ran.wait(10)
        scheduler.run_all_now()
        turn = scheduler._scheduler.get_job("prune").next_run_time
        assert 590 < (turn - datetime.now(UTC)).total_seconds() <= 600
    finally:
        scheduler.shutdown()


def test_doctor_names_the_setting_in_its_prune_line(tmp_path, monkeypatch):
    build(tmp_path / "t.db")
    database = 'prune_older_than = "365d"'
    cli = cli_in(tmp_path, monkeypatch, sim_config("http://127.0.0.1:9", database=database))
    lines = [line for line in cli("doctor").output.splitlines() if "prune" in line]
    assert lines == [
        "info prune: the daemon prunes once a day: database.prune_older_than = 365d; none ran yet"
    ]
    assert cli("prune", "--older-than", "400d", "--yes").exit_code == 0
    [line] = [line for line in cli("doctor").output.splitlines() if "prune" in line]
    assert line.startswith("info prune: last run ") and "(--older-than 400d, every panel)" in line
    assert line.endswith("; the daemon prunes once a day: database.prune_older_than = 365d")


def test_the_daemons_run_is_named_as_the_daemons_by_the_reads_and_doctor(tmp_path, monkeypatch):
    """A reader told "deleted by `smm-tracker prune --older-than 365d`" looks
    for a cron entry that is not there: the daemon's daily run is named so."""
    db = tmp_path / "t.db"
    build(db)
    config = settings(tmp_path, prune_older_than="365d")
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    generation = service._build(config)
    job = job_of(generation)
    assert job is not None
    try:
        assert guarded(job, JobStats(), generation.stop_event)() is True
    finally:
        generation.close()
    [run] = prune_runs(db)
    assert run["ran_by"] == "daemon"
    database = 'prune_older_than = "365d"'
    cli = cli_in(tmp_path, monkeypatch, sim_config("http://127.0.0.1:9", database=database))
    day = run["at"][:10]
    said = cli("report", "--since", "400d")
    assert (
        f"was deleted by the daemon's daily prune (database.prune_older_than = 365d) on {day}"
        in said.stderr
    ), said.stderr
    assert "smm-tracker prune" not in said.stderr
    assert json.loads(cli("report", "--since", "400d", "--json").stdout)["pruned"]["ran_by"] == (
        "daemon"
    )
    [line] = [line for line in cli("doctor").output.splitlines() if "prune" in line]
    assert "(the daemon's, database.prune_older_than = 365d, every panel)" in line
    # The command's own run is still named as the command.
    with sqlite3.connect(db) as c:  # old orders again, for the command to delete
        for order in (900001, 900002):
            c.execute(
                "INSERT INTO orders (panel, order_id, status, created_at, updated_at,"
                " completed_at, polling) VALUES ('sim', ?, 'Completed', ?, ?, ?, 0)",
                (order, OLD, OLD, OLD),
            )
    c.close()
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0
    assert [r["ran_by"] for r in prune_runs(db)] == ["daemon", "command"]
    assert (
        "deleted by `smm-tracker prune --older-than 365d`"
        in cli("report", "--since", "400d").stderr
    )

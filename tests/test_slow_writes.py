"""A database write that waited long for the write lock is told: one
``database_write_slow`` line (the job, the seconds, never the statement's
parameters), then at most a line a minute while the lock stays contended,
then ``database_write_slow_ended``; ``smm_tracker_database_write_wait_seconds``
counts them. Quick writes say nothing and count nothing."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from structlog.testing import capture_logs

from tracker.errors import StoreError
from tracker.rules.slow_writes import ENDED, SLOW, SlowWrite, judge_write
from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import render, take_snapshot
from tracker.store import connection, write_waits
from tracker.store.orders import Store
from tracker.store.write_waits import WriteWaits

WAIT = 10.0  # seconds: a bound that turns a hang into a failure
SECRET = "param-Zq8Wv3Kd"  # a statement's parameter: never in a line


class Ticks:
    """An injected monotonic clock: moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def waits(monkeypatch):
    """The process's slow-write watch, fresh for the test, on a clock it moves."""
    fresh = WriteWaits(clock=Ticks())
    monkeypatch.setattr(connection, "WAITS", fresh)
    monkeypatch.setattr("tracker.service.metrics.WAITS", fresh)
    return fresh


@pytest.fixture
def store(tmp_path):
    made = Store(tmp_path / "t.db")
    yield made
    made.close()


@contextmanager
def lock_held(path, seconds: float | None = None) -> Iterator[None]:
    """Another connection holding SQLite's write lock: let go ``seconds`` after
    a write of this process began (however late a loaded host gets to it),
    or at the end of the block (None)."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    began, real = threading.Event(), connection.Connection.write

    def write(self, *args, **kwargs):
        began.set()
        return real(self, *args, **kwargs)

    def let_go() -> None:
        if seconds is not None:
            began.wait(WAIT)  # no write at all: let go all the same, the test fails
            time.sleep(seconds)
            other.execute("ROLLBACK")

    connection.Connection.write = write  # type: ignore[method-assign]
    timer = threading.Thread(target=let_go)
    timer.start()
    try:
        yield
    finally:
        connection.Connection.write = real  # type: ignore[method-assign]
        timer.join()
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


def write_one(store: Store) -> None:
    with store.write() as db:
        db.execute("UPDATE _sqlite_migrations SET name = ? WHERE name = ?", [SECRET, SECRET])


def scraped() -> dict[str, float]:
    text = render(take_snapshot(None, CallCounters(), JobStats()))
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("smm_tracker_database_write_wait_seconds")
        and sample.labels.get("le") in (None, "+Inf")
    }


def told(logs: list[dict]) -> list[dict]:
    return [e for e in logs if e["event"] in (SLOW, ENDED)]


def test_a_write_held_up_by_another_connection_is_told_once_and_counted(waits, store):
    waits.slow = 0.1
    with lock_held(store.path, 0.3), capture_logs() as logs:
        with structlog.contextvars.bound_contextvars(job="status:main"):
            write_one(store)
        waits.slow = 1.0
        write_one(store)  # the lock free again: quick, inside the spell: not told
    lines = told(logs)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["event"] == "database_write_slow" and line["log_level"] == "warning"
    assert line["what"] == "status:main" and line["writes"] == 1
    assert 0.1 <= line["waited"] < 5 and line["database"] == str(store.path)
    assert "held" not in line  # the transaction itself was quick
    assert SECRET not in repr(logs) and "UPDATE" not in repr(logs)
    got = scraped()
    assert got["smm_tracker_database_write_wait_seconds_count"] == 1
    assert 0.1 <= got["smm_tracker_database_write_wait_seconds_sum"] < 5


def test_a_write_that_gets_no_lock_is_counted_and_told_by_its_error_alone(waits, tmp_path):
    waits.slow = 0.05
    store = Store(tmp_path / "busy.db", busy_timeout=0.1)
    try:
        with lock_held(store.path), capture_logs() as logs:  # held until it gave up
            with pytest.raises(StoreError, match="busy"):
                write_one(store)
    finally:
        store.close()
    assert told(logs) == [] and not waits.open  # "database PATH is busy" says it
    got = scraped()
    assert got["smm_tracker_database_write_wait_seconds_count"] == 1
    assert got["smm_tracker_database_write_wait_seconds_sum"] >= 0.05


def test_quick_writes_say_nothing_and_count_nothing(waits, store):
    assert waits.slow == write_waits.SLOW_WRITE == 1.0
    with capture_logs() as logs:
        for _ in range(20):
            write_one(store)
    assert told(logs) == [] and not waits.open
    got = scraped()  # the series is there from the start, at 0
    assert got["smm_tracker_database_write_wait_seconds_count"] == 0


def test_a_storm_of_slow_writes_is_told_once_a_minute_then_its_end(waits, store):
    clock = waits._clock
    waits.slow = 0.0  # every write is slow: ten minutes of writes every 5 s
    with capture_logs() as logs:
        for _ in range(121):
            write_one(store)
            clock.now += 5
        waits.slow = 1.0  # the lock let go: quick writes
        write_one(store)  # 5 s after the last slow one: the spell still open
        assert waits.open
        clock.now += 60
        write_one(store)
        write_one(store)
    lines = told(logs)
    events = [line["event"] for line in lines]
    assert events == [SLOW] * 11 + [ENDED], events
    assert [line["writes"] for line in lines[:3]] == [1, 12, 12]
    assert sum(line["writes"] for line in lines) == 121  # each told once
    assert lines[-1]["log_level"] == "info" and lines[-1]["lasted"] == 600
    assert not waits.open
    assert scraped()["smm_tracker_database_write_wait_seconds_count"] == 121


def test_a_spell_over_unnoticed_is_ended_before_a_new_one_is_told():
    slow = SlowWrite(waited=3.0, held=0.1, what="status:main")
    spell, lines = judge_write(None, 0.0, slow)
    spell, lines = judge_write(spell, 30.0, SlowWrite(9.0, 2.0, "balance:main"))
    assert lines == []
    spell, lines = judge_write(spell, 500.0, slow)  # no write at all in between
    assert [(t.event, t.writes) for t in lines] == [(ENDED, 1), (SLOW, 1)]
    assert lines[0].longest is not None and lines[0].longest.what == "balance:main"
    assert lines[0].lasted == 30.0 and spell is not None and spell.first == 500.0


def test_a_command_whose_write_waited_names_the_command_not_its_thread(
    waits, tmp_path, monkeypatch
):
    # A one-off command runs in the main thread: its line said what=MainThread.
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    Store(tmp_path / "t.db").close()
    waits.slow = 0.1
    with lock_held(tmp_path / "t.db", 0.3):
        done = cli("--log-format", "json", "track", "624031")
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    told_lines = [line for line in lines if line["event"] == SLOW]
    assert [line["what"] for line in told_lines] == ["track"], done.stderr
    assert "624031" not in repr(told_lines)  # the command's name, never its arguments


def test_inside_a_command_the_jobs_still_name_themselves_and_threads_theirs(waits, store):
    """`run` is a command too: its jobs run in worker threads, which start
    without the command's name, and a bound job names itself."""
    waits.slow = 0.05

    def job() -> None:
        with structlog.contextvars.bound_contextvars(job="status:main"):
            write_one(store)

    def webhook() -> None:
        write_one(store)

    whats = []
    named = write_waits.COMMAND.set("run")
    try:
        for work in (job, webhook):
            with lock_held(store.path, 0.15), capture_logs() as logs:
                if work is job:  # as the scheduler's pool runs a job
                    with ThreadPoolExecutor(1) as pool:
                        pool.submit(work).result()
                else:
                    thread = threading.Thread(target=work, name="webhook")
                    thread.start()
                    thread.join()
            whats += [line["what"] for line in told(logs) if line["event"] == SLOW]
            waits._clock.now += 60  # the spell over: the next slow write is told at once
    finally:
        write_waits.COMMAND.reset(named)
    assert whats == ["status:main", "webhook"]

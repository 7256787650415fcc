"""Disk full / read-only database: one error-level alert, the daemon keeps
running and retrying instead of crash-looping, and catches up once the
database is writable again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from simconfig import PanelClock, sim_config

from tracker.cli.main import main
from tracker.errors import StoreError
from tracker.jobs.base import Job
from tracker.jobs.health import (
    STORE_UNWRITABLE,
    STORE_WRITABLE,
    Health,
    StoreHealth,
    judge,
    unwritable,
)
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.causes import describe_db_error

DB = Path("/var/lib/smm-tracker/tracker.db")
FULL = "database or disk is full"
READ_ONLY = "attempt to write a readonly database"


def store_error(sqlite_message: str) -> StoreError:
    return StoreError(describe_db_error(DB, sqlite3.OperationalError(sqlite_message)))


# --- the pure decision -------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "lasting"),
    [
        (FULL, True),
        (READ_ONLY, True),
        ("disk I/O error", True),
        # A damaged file: every poll failed, logged only; no alert said tracking had stopped.
        ("database disk image is malformed", True),
        ("database is locked", False),  # busy: fails one cycle, no outage
        ("no such table: orders", False),
    ],
)
def test_which_database_errors_are_an_outage(message, lasting):
    assert unwritable(store_error(message)) is lasting
    assert not unwritable(sqlite3.OperationalError(message))  # only the store's own errors


def test_one_alert_per_outage_whatever_the_number_of_failing_jobs(clock):
    health, alert = judge(Health(), "status:a", str(store_error(FULL)), clock())
    assert alert is not None and alert.kind == STORE_UNWRITABLE and alert.severity == "error"
    assert "disk full" in alert.message
    clock.advance(60)
    for job in ("status:a", "status:b", "refill:a"):
        health, alert = judge(health, job, str(store_error(FULL)), clock())
        assert alert is None
    # A job that never failed proves nothing: it may have had nothing to write.
    health, alert = judge(health, "balance:a", None, clock())
    assert alert is None and health.failing
    health, alert = judge(health, "status:a", None, clock())
    health, alert2 = judge(health, "refill:a", None, clock())
    assert alert is None and alert2 is None
    clock.advance(30 * 60)
    health, alert = judge(health, "status:b", None, clock())
    assert alert is not None and alert.kind == STORE_WRITABLE and alert.severity == "info"
    assert "31m00s" in alert.message and health == Health()
    # The next outage is news again.
    _, alert = judge(health, "status:a", str(store_error(READ_ONLY)), clock())
    assert alert is not None and "read-only" in alert.message


class ListSink:
    def __init__(self) -> None:
        self.sent: list = []

    def send(self, alert) -> bool:
        self.sent.append(alert)
        return True


def scripted(outcomes: list[Exception | bool]):
    """Return a job's run() that raises or returns each outcome in turn."""
    left = iter(outcomes)

    def run() -> bool:
        outcome = next(left)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return run


def test_wrapped_job_still_fails_and_alerts_once(clock):
    sink = ListSink()
    health = StoreHealth(sink=sink, clock=clock)
    outcomes = [store_error(FULL), store_error(FULL), store_error("database is locked"), True]
    job = health.wrap(Job("status:a", 60, scripted(outcomes)))
    for _ in range(3):
        with pytest.raises(StoreError):  # the cycle still fails, and says why
            job.run()
        clock.advance(60)
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE]
    assert job.run() is True
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE, STORE_WRITABLE]


def test_a_damaged_database_alerts_once_though_a_probe_write_gets_through(clock):
    # The probe writes one page; a damaged file takes it when the damage lies
    # elsewhere. Ending the outage on it had a store_writable and a new
    # store_unwritable at every poll, the poll failing on the damaged pages.
    sink = ListSink()
    health = StoreHealth(sink=sink, clock=clock, probe=lambda: None)
    damaged = store_error("database disk image is malformed")
    poll = health.wrap(Job("status:a", 60, scripted([damaged] * 3 + [True])))
    balance = health.wrap(Job("balance:a", 60, scripted([True] * 3)))
    for _ in range(3):
        with pytest.raises(StoreError):
            poll.run()
        assert balance.run() is True
        clock.advance(60)
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE]
    assert poll.run() is True  # the failing job's own success ends it
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE, STORE_WRITABLE]


def test_the_outage_is_stored_at_its_own_time_once_the_database_is_writable(clock, tmp_path):
    # While writes fail the outage alert cannot be stored; `smm-tracker alerts`
    # must still show it (before its end) once they work again.
    from tracker.store.orders import Store

    store = Store(tmp_path / "t.db")
    health = StoreHealth(store=store, sink=ListSink(), clock=clock)
    job = health.wrap(Job("status:a", 60, scripted([store_error(FULL), True])))
    with pytest.raises(StoreError):
        job.run()
    began = clock()
    clock.advance(90)
    assert job.run() is True
    rows = store.rows("SELECT at, kind FROM alerts ORDER BY id")
    store.close()
    assert [r["kind"] for r in rows] == [STORE_UNWRITABLE, STORE_WRITABLE]
    assert rows[0]["at"] == began.isoformat(timespec="seconds")


# --- the daemon --------------------------------------------------------------------

KEY = "disk-key-Rf3Gs8Kw1Yn6"
# Runs `smm-tracker` with every SQLite connection made to fail its writes, the
# way a full disk or a read-only file fails them, while a flag file exists.
INJECTED = """
import os, sqlite3, sys

FLAG, MESSAGE = sys.argv.pop(1), sys.argv.pop(1)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class Connection(sqlite3.Connection):
    def _check(self, sql):
        if os.path.exists(FLAG) and sql.lstrip().upper().startswith(WRITES):
            raise sqlite3.OperationalError(MESSAGE)

    def execute(self, sql, *args):
        self._check(sql)
        return super().execute(sql, *args)

    def executemany(self, sql, *args):
        self._check(sql)
        return super().executemany(sql, *args)


_connect = sqlite3.connect


def connect(*args, **kwargs):
    kwargs.setdefault("factory", Connection)
    return _connect(*args, **kwargs)


sqlite3.connect = connect
from tracker.cli.main import main

main(prog_name="smm-tracker")
"""


def wait_for(condition, what: str, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the daemon exited ({process.returncode}) before {what}"
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def events(log: Path) -> list[dict]:
    found = []
    for line in log.read_text().splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue  # the line being written
    return found


def query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize(("message", "said"), [(FULL, "disk full"), (READ_ONLY, "read-only")])
def test_daemon_rides_out_an_unwritable_database_and_catches_up(tmp_path, message, said):
    clock = PanelClock()
    panel = SimulatedPanel(key=KEY, clock=clock, seed=4, speed=60.0)
    server = PanelServer(panel).start()
    config = tmp_path / "tracker.toml"
    config.write_text(
        sim_config(
            server.url,
            panel='timeout = "30s"',
            schedule='status_every = "1s"\nstatus_max_every = "1s"',
            json_logs=True,
        )
        + 'level = "debug"\n'  # [logging]'s: the failed runs the outage told are at debug
    )
    env = {**os.environ, "SIM_KEY": KEY, "SMM_TRACKER_CONFIG": str(config)}
    env.pop("NOTIFY_SOCKET", None)
    ids = panel.seed_orders(30, spread=200)
    assert CliRunner().invoke(main, ["track", *map(str, ids)], env=env).exit_code == 0
    db, flag, log = tmp_path / "t.db", tmp_path / "disk-full", tmp_path / "run.log"

    def polled(job_failures: int) -> bool:
        return (
            sum(
                1
                for e in events(log)
                if e["event"] == "job_failed"
                and e.get("job") == "status:sim"
                and said in e["error"]
            )
            >= job_failures
        )

    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", INJECTED, str(flag), message, "run"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        seen = "SELECT count(DISTINCT order_id) FROM transitions"
        wait_for(lambda: query(db, seen) == [(30,)], "the first poll", process)
        before = query(db, "SELECT * FROM transitions ORDER BY id")

        flag.touch()  # the disk fills up; meanwhile the orders move on
        clock.now += 150
        wait_for(lambda: polled(3), "three failed status cycles", process)
        assert query(db, "SELECT * FROM transitions ORDER BY id") == before
        alerts = [
            e for e in events(log) if e["event"] == "alert" and e["alert"].startswith("store")
        ]
        # One error-level alert for the outage, however many cycles fail.
        assert [(a["alert"], a["level"]) for a in alerts] == [(STORE_UNWRITABLE, "error")]
        assert said in alerts[0]["message"]
        # Told once: the failed run beside it at error, those after it at debug.
        failed = [e for e in events(log) if e["event"] == "job_failed"]
        assert failed[0]["level"] == "error" and len(failed) >= 3
        assert {e["level"] for e in failed[1:]} == {"debug"}
        assert {e["told_by"] for e in failed[1:]} == {STORE_UNWRITABLE}

        current = {i: panel.order(i).status for i in ids}
        stale = dict(query(db, "SELECT order_id, status FROM orders"))
        assert stale != current  # there is something to catch up on
        flag.unlink()  # space is freed: the next cycle catches up
        wait_for(
            lambda: dict(query(db, "SELECT order_id, status FROM orders")) == current,
            "the database to catch up with the panel",
            process,
        )
        wait_for(
            lambda: any(e.get("alert") == STORE_WRITABLE for e in events(log)),
            "the recovery alert",
            process,
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        server.stop()

    output = log.read_text()
    assert "Traceback" not in output
    # Every order's history is whole: what happened while the disk was full was
    # recorded after, from where the order last stood.
    for order_id in ids:
        steps = query(
            db,
            "SELECT from_status, to_status FROM transitions "
            f"WHERE order_id = {order_id} ORDER BY id",
        )
        assert steps[0][0] is None
        assert all(a[1] == b[0] for a, b in zip(steps, steps[1:], strict=False))
        assert steps[-1][1] == current[order_id]
    # The outage, not storable while it lasted, is stored once it ended, before its end.
    stored = [k for (k,) in query(db, "SELECT kind FROM alerts ORDER BY id") if "store" in k]
    assert stored == [STORE_UNWRITABLE, STORE_WRITABLE]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_full_disk_at_startup_does_not_stop_the_run(tmp_path, monkeypatch):
    # Every write to the lock file answered ENOSPC (as root, chmod cannot make
    # a file unwritable; the lock file is never opened through a symlink, so
    # /dev/full cannot stand in): the run cannot write its PID hint, and must
    # start all the same.
    import errno

    from tracker.service import lock as lock_module

    class FullDisk:
        def __getattr__(self, name: str) -> object:
            return getattr(os, name)

        @staticmethod
        def write(fd: int, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        ftruncate = write

    monkeypatch.setattr(lock_module, "os", FullDisk())
    clock = PanelClock()
    panel = SimulatedPanel(key=KEY, clock=clock, seed=4, speed=60.0)
    ids = panel.seed_orders(3)
    with PanelServer(panel) as server:
        (tmp_path / "tracker.toml").write_text(
            f'[database]\npath = "t.db"\n[[panels]]\nname = "sim"\nurl = "{server.url}"\n'
            'key_env = "SIM_KEY"\ntimeout = "30s"\n'
        )
        env = {"SIM_KEY": KEY, "SMM_TRACKER_CONFIG": str(tmp_path / "tracker.toml")}
        runner = CliRunner()
        assert runner.invoke(main, ["track", *map(str, ids)], env=env).exit_code == 0
        result = runner.invoke(main, ["run", "--once"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    statuses = dict(query(tmp_path / "t.db", "SELECT order_id, status FROM orders"))
    assert statuses == {i: panel.order(i).status for i in ids}


def test_a_full_disk_sqlite_calls_an_io_error_is_said_as_full(tmp_path, monkeypatch):
    # Opening a database for writing on a full disk fails as "disk I/O error"
    # (its -shm cannot grow), before any write could say "disk is full": the
    # command said "disk I/O error", and the daemon, taking it for a broken
    # disk, exited at start instead of waiting for space.
    from tracker.service.startup import is_waitable
    from tracker.store.causes import error_kind

    path = tmp_path / "tracker.db"
    io_error = sqlite3.OperationalError("disk I/O error")
    assert describe_db_error(path, io_error) == f"database {path}: disk I/O error"  # space left
    real = os.statvfs

    def no_space(directory):
        got = real(directory)
        return os.statvfs_result((*got[:4], 0, *got[5:]))  # f_bavail = 0

    monkeypatch.setattr(os, "statvfs", no_space)
    said = describe_db_error(path, io_error)
    assert said == f"disk full while writing {path}: no space left on the disk holding {tmp_path}"
    assert error_kind(StoreError(said)) == "full"
    assert is_waitable(StoreError(said))
    assert unwritable(StoreError(said))

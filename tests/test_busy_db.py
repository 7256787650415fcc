"""Database busy: another process holds the write lock. A job waits at most
``database.busy_timeout``, fails this cycle with one error line, and the next
cycle catches up; nothing is lost or half-written."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner
from simconfig import PanelClock, sim_config

from tracker.cli.main import main
from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.service.daemon import JobStats
from tracker.service.runs import run_once
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "busy-key-Tq6Mz1Wd9Hs4"
# Holds BEGIN IMMEDIATE (the write lock) until a line arrives on stdin.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


class WriteLock:
    """Another process holding the database's write lock."""

    def __init__(self, path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    def held(self, path) -> bool:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        assert self.process.wait(timeout=30) == 0


@pytest.fixture
def world(tmp_path):
    clock = PanelClock()
    panel = SimulatedPanel(key=KEY, clock=clock, seed=8, speed=60.0)
    with PanelServer(panel) as server:
        yield panel, clock, server.url, tmp_path


def chains_are_whole(db_path, panel: SimulatedPanel) -> None:
    """Every order's history starts from nothing, each step where the last one
    ended, and ends at the panel's status."""
    db = sqlite3.connect(db_path)
    orders = db.execute("SELECT order_id, status FROM orders").fetchall()
    assert orders
    for order_id, status in orders:
        steps = db.execute(
            "SELECT from_status, to_status FROM transitions WHERE order_id = ? ORDER BY id",
            (order_id,),
        ).fetchall()
        assert steps and steps[0][0] is None
        assert all(a[1] == b[0] for a, b in zip(steps, steps[1:], strict=False))
        assert steps[-1][1] == status == panel.order(order_id).status
    db.close()


def test_status_job_gives_up_this_cycle_and_catches_up_on_the_next(world):
    panel, clock, url, tmp_path = world
    config = config_from_dict(
        {
            "database": {"path": "t.db", "busy_timeout": "300ms"},
            "panels": [{"name": "sim", "url": url, "key_env": "K", "timeout": "30s"}],
        },
        base_dir=tmp_path,
        env={"K": KEY},
    )
    tracker = Tracker(config, clock=clock.utc)
    tracker.everything = True
    jobs = [job for job in tracker.jobs() if job.name == "status:sim"]
    ids = panel.seed_orders(40, spread=100)
    tracker.store.track("sim", ids, clock.utc())
    stats = JobStats()
    try:
        lock = WriteLock(tmp_path / "t.db")
        try:
            assert run_once(jobs, stats) is False
            # It gave up while the lock was still held: the wait is bounded.
            assert lock.held(tmp_path / "t.db")
        finally:
            lock.release()
        assert stats.failures == 1
        # Nothing was half-written: no status, no transition.
        assert tracker.store.rows("SELECT count(*) AS n FROM transitions")[0]["n"] == 0
        assert {r["status"] for r in tracker.store.orders()} == {None}

        clock.now += 60
        assert run_once(jobs, stats) is True
        assert stats.failures == 1 and stats.runs == 2
    finally:
        tracker.close()
    chains_are_whole(tmp_path / "t.db", panel)


def test_run_once_under_a_held_lock_fails_in_one_line_per_job_then_recovers(world):
    panel, clock, url, tmp_path = world
    (tmp_path / "tracker.toml").write_text(
        sim_config(url, database='busy_timeout = "300ms"', panel='timeout = "30s"', json_logs=True)
    )
    runner = CliRunner()
    env = {"SIM_KEY": KEY, "SMM_TRACKER_CONFIG": str(tmp_path / "tracker.toml")}

    def cli(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    ids = panel.seed_orders(25, spread=100)
    assert cli("track", *map(str, ids)).exit_code == 0
    lock = WriteLock(tmp_path / "t.db")
    try:
        failed = cli("run", "--once", "--all")
    finally:
        lock.release()
    assert failed.exit_code == 1
    assert "Traceback" not in failed.output
    errors = [
        e
        for e in (json.loads(line) for line in failed.output.splitlines() if line.startswith("{"))
        if e["level"] == "error"
    ]
    assert errors, failed.output
    # One line per failed job, each naming the cause. (A job that reached the
    # panel beside the poll may also say it could not read an alert's state.)
    assert all("busy" in e.get("error", "") for e in errors), errors
    failed_jobs = Counter(e.get("job") for e in errors if e["event"] == "job_failed")
    assert max(failed_jobs.values()) == 1, errors
    assert {e["event"] for e in errors} <= {"job_failed", "alert_state_unreadable"}, errors
    rows = json.loads(cli("orders", "--json").output)
    assert {r["status"] for r in rows} == {None}

    assert cli("run", "--once", "--all").exit_code == 0
    rows = json.loads(cli("orders", "--json").output)
    assert sorted(r["order_id"] for r in rows) == sorted(ids)
    assert all(r["status"] is not None for r in rows)
    chains_are_whole(tmp_path / "t.db", panel)


def side_by_side(job, count: int) -> None:
    """Run ``job`` in ``count`` threads at once; wait for all (bounded)."""
    import threading

    threads = [threading.Thread(target=job) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def test_jobs_sharing_the_connection_wait_side_by_side_not_in_turn(tmp_path):
    # Four jobs write while another process holds the write lock: each fails
    # after about busy_timeout, all at about the same time, instead of one
    # after another (4 x busy_timeout: a stop would be kept waiting).
    import time

    from tracker.errors import StoreError
    from tracker.store.orders import Store

    store = Store(tmp_path / "t.db", busy_timeout=1.0)
    lock = WriteLock(tmp_path / "t.db")
    ended: list[float] = []
    errors: list[str] = []

    def job() -> None:
        try:
            with store.write() as db:
                db.execute("UPDATE _sqlite_migrations SET name = name")
        except StoreError as exc:
            errors.append(str(exc))
        ended.append(time.monotonic() - started)

    started = time.monotonic()
    try:
        side_by_side(job, 4)
    finally:
        lock.release()
    store.close()
    assert len(errors) == 4 and all("is busy" in e for e in errors), errors
    assert max(ended) < 2.5, ended  # in turn: about 4 s


def test_once_a_stop_is_asked_a_step_waits_at_most_a_second(tmp_path):
    # A job that goes on after SIGTERM (the balance job stores a reading, then
    # its alert state, ...) must not wait busy_timeout at every step, or the
    # stop outlasts its bound (timeout + busy_timeout) and exits unclean.
    import threading
    import time

    from tracker.errors import StoreError
    from tracker.store.connection import STOPPING_WAIT
    from tracker.store.orders import Store

    store = Store(tmp_path / "t.db", busy_timeout=10.0)
    store.stopping = threading.Event()
    lock = WriteLock(tmp_path / "t.db")
    try:
        store.stopping.set()
        took = []
        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(StoreError, match="is busy"):
                with store.write() as db:
                    db.execute("UPDATE _sqlite_migrations SET name = name")
            took.append(time.monotonic() - started)
    finally:
        lock.release()
        store.close()
    assert max(took) < STOPPING_WAIT + 1.0, took  # not 10 s each


def test_once_a_stop_is_asked_many_jobs_do_not_queue_behind_the_lock(tmp_path):
    # 16 panels' jobs, each trying a few steps after SIGTERM, under a held
    # lock: if each step still waited for SQLite's lock while holding the
    # shared connection, they would end one after another (~1 s per panel).
    import threading
    import time

    from tracker.errors import StoreError
    from tracker.store.connection import STOPPING_WAIT
    from tracker.store.orders import Store

    store = Store(tmp_path / "t.db", busy_timeout=10.0)
    store.stopping = threading.Event()
    store.stopping.set()
    lock = WriteLock(tmp_path / "t.db")

    def job() -> None:
        for _ in range(3):
            try:
                with store.write() as db:
                    db.execute("UPDATE _sqlite_migrations SET name = name")
            except StoreError:
                pass

    started = time.monotonic()
    try:
        side_by_side(job, 16)
    finally:
        lock.release()
        store.close()
    assert time.monotonic() - started < STOPPING_WAIT + 1.0

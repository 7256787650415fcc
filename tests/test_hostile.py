"""The daemon against a hostile panel: stop bounds, the watchdog, the lock, the key file.

The real `smm-tracker run` runs in a subprocess (as systemd runs it) where the
guarantee is about the process; the rest drives the pieces directly.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest
from click.testing import CliRunner
from hostile import HostileServer, drip
from test_service_run import DEADLINE, Daemon, smm_tracker

from tracker.cli.main import main
from tracker.clock import utcnow
from tracker.config.load import config_from_dict
from tracker.service.lock import AlreadyRunningError, DatabaseLock
from tracker.service.process import Service
from tracker.store.orders import Store

KEY = "hostile-key-Hq3Zt9Lm2Vx8"
TIMEOUT = 2.0
BUSY = 1.0
SLACK = 1.5  # process start-up of the signal's effect and interpreter exit


def config_text(url: str, db: str = "t.db") -> str:
    return f"""
[database]
path = "{db}"
busy_timeout = "{BUSY:g}s"
[[panels]]
name = "evil"
url = "{url}"
key_env = "HOSTILE_KEY"
timeout = "{TIMEOUT:g}s"
retries = 2
retry_budget = "30s"
[schedule]
status_every = "1h"
[refill]
enabled = false
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOSTILE_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    return dict(os.environ)


def test_sigterm_ends_run_within_timeout_plus_busy_timeout_while_a_panel_drips(tmp_path, env):
    with HostileServer(lambda form: drip(every=0.3)) as server:
        config = tmp_path / "tracker.toml"
        config.write_text(config_text(server.url))
        daemon = Daemon(config, env)
        try:
            daemon.wait_for("READY=1")
            deadline = time.monotonic() + DEADLINE
            while not server.requests and time.monotonic() < deadline:
                time.sleep(0.05)  # a call is on the wire, dripping
            assert server.requests, daemon.output()
            started = time.monotonic()
            daemon.proc.send_signal(signal.SIGTERM)
            code = daemon.proc.wait(timeout=DEADLINE)
            elapsed = time.monotonic() - started
        finally:
            daemon.close()
    assert code == 0, daemon.output()
    assert elapsed < TIMEOUT + BUSY + SLACK, (elapsed, daemon.output())


def test_the_lock_follows_symlinks_to_the_real_database(tmp_path):
    real = tmp_path / "real.db"
    real.touch()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    with DatabaseLock(real), pytest.raises(AlreadyRunningError):
        DatabaseLock(link).acquire()


def test_run_once_through_a_symlink_is_refused_while_the_daemon_runs(tmp_path, env):
    (tmp_path / "data").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "data")
    config = tmp_path / "tracker.toml"
    config.write_text(config_text("http://127.0.0.1:9/api/v2", db="data/t.db"))
    aliased = tmp_path / "aliased.toml"
    aliased.write_text(config_text("http://127.0.0.1:9/api/v2", db="alias/t.db"))
    daemon = Daemon(config, env)
    try:
        daemon.wait_for("READY=1")
        once = CliRunner().invoke(main, ["--config", str(aliased), "run", "--once"])
        assert once.exit_code == 1
        assert "the smm-tracker daemon" in once.output and "is using database" in once.output
        assert daemon.stop() == 0
    finally:
        daemon.close()


def test_doctor_refuses_a_fifo_key_file_at_once(tmp_path, env):
    os.mkfifo(tmp_path / "api-key")
    config = tmp_path / "tracker.toml"
    text = config_text("http://127.0.0.1:9/api/v2").replace(
        'key_env = "HOSTILE_KEY"', 'key_file = "api-key"'
    )
    config.write_text(text)
    done = subprocess.run(
        [*smm_tracker(), "--config", str(config), "doctor"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env=env,
    )
    assert done.returncode != 0
    fifo = [line for line in done.stdout.splitlines() if "Is a FIFO" in line]
    assert len(fifo) == 1 and "key_file" in fifo[0], done.stdout + done.stderr


class FakeNotifier:
    watchdog_every = 1.0
    enabled = True

    def __init__(self) -> None:
        self.sent: list[str] = []

    def watchdog(self) -> bool:
        self.sent.append("WATCHDOG=1")
        return True

    def status(self, text: str) -> bool:
        self.sent.append(f"STATUS={text}")
        return True


def test_the_watchdog_is_withheld_while_a_job_makes_no_progress(tmp_path):
    panel = {"name": "evil", "url": "http://127.0.0.1:9/api/v2", "key": KEY, "timeout": 2}
    config = config_from_dict(
        {"database": {"path": ":memory:"}, "panels": [panel]}, base_dir=tmp_path, env={}
    )
    notifier = FakeNotifier()
    service = Service(config, load=lambda: config, notifier=notifier)  # type: ignore[arg-type]
    service._heartbeat()
    assert notifier.sent[0] == "WATCHDOG=1"  # nothing running: healthy

    notifier.sent.clear()
    service.stats.running["status:evil"] = time.time()
    service.stats.progress = time.monotonic() - service.stall_bound() - 1
    service._heartbeat()
    assert "WATCHDOG=1" not in notifier.sent
    assert any("stalled: status:evil" in line for line in notifier.sent)

    notifier.sent.clear()
    service.stats.touch()  # a call completed: progress again
    service._heartbeat()
    assert notifier.sent[0] == "WATCHDOG=1"


def test_doctor_warns_when_a_stop_may_outlast_the_unit(tmp_path):
    from tracker.rules.doctor import WARN
    from tracker.rules.unit_doctor import stop_bound_check

    assert stop_bound_check({"main": 30.0}, 10.0) is None
    warning = stop_bound_check({"main": 30.0, "slow": 600.0}, 10.0)
    assert warning is not None and warning.state == WARN
    assert "panel slow" in warning.detail and "TimeoutStopSec=90s" in warning.detail


@pytest.mark.parametrize("alerts", ['webhook_url = "http://127.0.0.1:9/hook"', ""])
@pytest.mark.usefixtures("quick_backoff")  # the refused panel's retry: not the line read
def test_doctor_counts_the_queued_alerts_a_stop_posts(tmp_path, alerts):
    # A stop posts the queued alerts after the jobs end (webhook_timeout + 5s):
    # a 2m webhook_timeout outlasted the unit's 90s, and doctor said nothing.
    config = tmp_path / "tracker.toml"
    panel = config_text("http://127.0.0.1:9/api/v2").replace(f'timeout = "{TIMEOUT:g}s"', "")
    config.write_text(panel + f'[alerts]\nwebhook_timeout = "2m"\n{alerts}\n')
    result = CliRunner().invoke(
        main, ["--config", str(config), "doctor"], env={"HOSTILE_KEY": "k-Gh4Jk8Lm2Np6"}
    )
    warned = [line for line in result.output.splitlines() if line.startswith("warn stop timeout")]
    if not alerts:
        assert warned == []  # no webhook, no notify: nothing is queued
        return
    assert warned == [
        f"warn stop timeout: run stops within {30 + BUSY + 125:g}s of SIGTERM (panel evil "
        f"timeout 30s + database.busy_timeout {BUSY:g}s + queued alerts 125s "
        "(alerts.webhook_timeout + 5s): one timeout for all the calls on the wire, which run at "
        "once; no job sends a refill, add or cancel, and a read's wait for its answer is cut "
        "0.75s after the stop, but not its connect and TLS handshake (up to the connect timeout "
        "each)), not under the unit's TimeoutStopSec=90s (no "
        "smm-tracker.service installed: the shipped unit's): systemd may "
        "kill it mid-commit; lower the timeouts or raise TimeoutStopSec"
    ]


def test_a_deleted_database_stops_the_daemon_with_an_error_and_an_alert(tmp_path, env):
    config = tmp_path / "tracker.toml"
    config.write_text(config_text("http://127.0.0.1:9/api/v2") + '[logging]\nformat = "json"\n')
    daemon = Daemon(config, env)
    try:
        daemon.wait_for("READY=1")
        for path in tmp_path.glob("t.db*"):
            if not path.name.endswith(".lock"):
                path.unlink()
        code = daemon.proc.wait(timeout=DEADLINE)
        events = daemon.events()
    finally:
        daemon.close()
    assert code != 0
    assert any(
        e.get("event") == "database_replaced" and e.get("reason") == "deleted" for e in events
    )
    assert any(e.get("alert") == "store_replaced" for e in events), daemon.output()
    last = daemon.output().strip().splitlines()[-1]
    assert "was deleted or moved while the daemon ran" in last


def test_writes_working_again_end_the_outage_at_the_next_run_of_any_job(tmp_path):
    from tracker.errors import StoreError
    from tracker.jobs.base import Job
    from tracker.jobs.health import STORE_UNWRITABLE, STORE_WRITABLE, StoreHealth

    class Sink:
        sent: list = []

        def send(self, alert) -> bool:
            self.sent.append(alert.kind)
            return True

    disk_full = [True]

    def probe() -> None:
        if disk_full[0]:
            raise StoreError("cannot write t.db: database or disk is full (disk full)")

    def slow_job() -> bool:  # services: every 6 h; it failed to write
        raise StoreError("cannot write t.db: database or disk is full (disk full)")

    sink = Sink()
    health = StoreHealth(sink=sink, probe=probe)
    services = health.wrap(Job("services:a", 6 * 3600, slow_job))
    status = health.wrap(Job("status:a", 300, lambda: True))
    with pytest.raises(StoreError):
        services.run()
    assert sink.sent == [STORE_UNWRITABLE]
    status.run()  # writes still fail: the outage stays open
    assert sink.sent == [STORE_UNWRITABLE]
    disk_full[0] = False
    status.run()  # the next run of any job: the probe write works
    assert sink.sent == [STORE_UNWRITABLE, STORE_WRITABLE]
    disk_full[0] = True
    with pytest.raises(StoreError):
        services.run()  # a second outage is news again
    assert sink.sent == [STORE_UNWRITABLE, STORE_WRITABLE, STORE_UNWRITABLE]


def test_a_stop_gives_up_on_a_run_still_going_past_the_bound():
    import threading

    from tracker.jobs.base import Job
    from tracker.service.daemon import Generation, JobStats, Scheduler

    release, started, closed = threading.Event(), threading.Event(), []

    def wedged() -> bool:
        started.set()
        release.wait(30)
        return True

    stats = JobStats()
    scheduler = Scheduler(stats)
    generation = Generation([Job("status:evil", 3600, wedged)], threading.Event())
    generation.close = lambda: closed.append(True)
    scheduler.start(generation)
    try:
        assert started.wait(10)
        assert scheduler.shutdown(0.3) is False  # `run` then exits with status 1
        assert not closed  # the store stays open under the run still going
    finally:
        release.set()
        scheduler._pool.shutdown(wait=True)  # the run let go of: its worker ends here


def _stopped_after(tmp_path, env, act) -> tuple[int, Daemon]:
    """Start the daemon on t.db, ``act`` once it is ready, and return its exit
    status (it must stop by itself) and the daemon, closed."""
    config = tmp_path / "tracker.toml"
    config.write_text(config_text("http://127.0.0.1:9/api/v2") + '[logging]\nformat = "json"\n')
    daemon = Daemon(config, env)
    try:
        daemon.wait_for("READY=1")
        act()
        code = daemon.proc.wait(timeout=DEADLINE)
    finally:
        daemon.close()
    return code, daemon


def _assert_whole(path) -> None:
    conn = sqlite3.connect(path)
    try:  # whole, its schema there
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] > 0
    finally:
        conn.close()


def test_a_deleted_wal_stops_the_daemon_and_its_writes_reach_the_file(tmp_path, env):
    # SQLite wrote on into the unlinked -wal unnoticed: other commands read
    # stale rows, and a kill -9 lost every write since the last checkpoint.
    code, daemon = _stopped_after(tmp_path, env, (tmp_path / "t.db-wal").unlink)
    events = daemon.events()
    assert code != 0
    assert any(
        e.get("event") == "database_replaced" and e.get("reason") == "its -wal file deleted"
        for e in events
    ), daemon.output()
    assert any(e.get("alert") == "store_replaced" for e in events)
    _assert_whole(tmp_path / "t.db")  # the clean stop checkpointed the unlinked -wal


def _track_under_daemon(db, orders) -> None:
    """Track ``orders`` into the daemon's database: committed, only in its -wal
    (the daemon's connections stay open, so this close checkpoints nothing)."""
    store = Store(db)
    store.track("evil", orders, utcnow())
    store.close()


def _orders(db) -> list[int]:
    """The order IDs in ``db``, whole; none when it has no schema yet."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'orders'").fetchall():
            return []
        return [row[0] for row in conn.execute("SELECT order_id FROM orders ORDER BY order_id")]
    finally:
        conn.close()


def test_a_database_moved_under_the_daemon_keeps_its_last_writes_aside(tmp_path, env):
    # SQLite cannot checkpoint into a file moved away: its writes since the
    # last checkpoint stayed in the old path's -wal, which the restart there
    # deleted. The daemon keeps that -wal aside, and its alert and last line
    # say where and what puts the rows back.
    db, kept = tmp_path / "t.db", tmp_path / "t.db-wal.orphaned"

    def move() -> None:
        _track_under_daemon(db, [4242])
        db.rename(tmp_path / "moved.db")

    code, daemon = _stopped_after(tmp_path, env, move)
    assert code != 0
    last = daemon.output().strip().splitlines()[-1]
    assert "was deleted or moved while the daemon ran" in last
    assert f"its -wal is kept as {kept}, holding its last writes: to keep them, stop" in last
    assert f"copy {kept} beside the database file it belongs to" in last
    assert f"as that file's -wal ({db}-wal there) before anything opens it" in last
    alert = next(e for e in daemon.events() if e.get("alert") == "store_replaced")
    assert alert["data"] == {"database": str(db), "orphaned_wal": str(kept)}
    assert f"are kept as {kept} once the daemon has stopped: to keep them" in alert["message"]
    assert not (tmp_path / "t.db-wal").exists()
    moved = tmp_path / "moved.db"
    assert _orders(moved) == []  # the file alone lacks its last writes (its schema too)
    (tmp_path / "moved.db-wal").write_bytes(kept.read_bytes())
    assert _orders(moved) == [4242]  # the moved file with its -wal back
    _assert_whole(moved)


def test_a_database_moved_back_over_a_new_one_is_not_read_with_the_new_ones_wal(tmp_path, env):
    # The operator's walk: the database moved away, the restart made a new,
    # empty one (store_created), then the database moved back over it. The
    # new one's -wal stayed at t.db-wal and the next start read its pages over
    # the database put back: the new one's tables, or a malformed file.
    db, real = tmp_path / "t.db", tmp_path / "real.db"
    _track_under_daemon(real, [7, 8])  # a tracker database, closed cleanly: no -wal

    def move_back() -> None:
        _track_under_daemon(db, [99])  # the new database's writes, in its -wal
        real.rename(db)

    code, daemon = _stopped_after(tmp_path, env, move_back)
    assert code != 0
    last = daemon.output().strip().splitlines()[-1]
    assert "was replaced by another file while the daemon ran" in last
    assert f"its -wal is kept as {tmp_path / 't.db-wal.orphaned'}" in last
    assert not (tmp_path / "t.db-wal").exists()
    assert _orders(db) == [7, 8]  # the database put back, as it was
    # The next start runs on it and says, at warning, what is kept beside it.
    again = Daemon(tmp_path / "tracker.toml", env)
    try:
        again.wait_for("READY=1")
        again.proc.send_signal(signal.SIGTERM)
        assert again.proc.wait(timeout=DEADLINE) == 0, again.output()
    finally:
        again.close()
    found = [e for e in again.events() if e.get("event") == "orphaned_wal_found"]
    assert len(found) == 1 and found[0]["level"] == "warning", again.output()
    assert found[0]["path"] == str(tmp_path / "t.db-wal.orphaned")
    assert _orders(db) == [7, 8]

"""The real `smm-tracker run` in a subprocess, as systemd runs it.

Each test starts the simulated panel on 127.0.0.1, the daemon with its own
AF_UNIX datagram socket as $NOTIFY_SOCKET, and reads what systemd would
read. Waits have generous deadlines that only guard against a hang; nothing
asserts how fast anything is.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from ports import free_port

from tracker.cli.main import main
from tracker.sim.faults import Reply
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store

KEY = "svc-key-Hq3Zt9Lm2Vx8Rc4p"
DEADLINE = 20.0  # seconds: only ever reached when something hangs


def smm_tracker() -> list[str]:
    """Return the command that runs the installed console script."""
    script = Path(sys.executable).with_name("smm-tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


class Daemon:
    """`smm-tracker --config CONFIG run` with a notify socket we read from."""

    def __init__(self, config: Path, env: dict[str, str], watchdog_usec: int | None = None):
        # AF_UNIX paths are limited to ~108 bytes: pytest's tmp_path can be longer.
        self._dir = tempfile.mkdtemp(prefix="smmt-", dir="/tmp")
        self.socket_path = os.path.join(self._dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.socket_path)
        self.messages: list[str] = []
        env = dict(env, NOTIFY_SOCKET=self.socket_path)
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        if watchdog_usec is not None:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        self.log = config.with_name("daemon.log")
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [*smm_tracker(), "--config", str(config), "run"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_for(self, field: str) -> list[str]:
        """Read datagrams until one carries ``field`` (e.g. "READY=1"); return them all."""
        deadline = time.monotonic() + DEADLINE
        while True:
            exited = self.proc.poll() is not None  # read what it sent before it ended
            self.sock.settimeout(0.05 if exited else 0.5)
            try:
                message = self.sock.recv(4096).decode()
            except TimeoutError:
                if exited or time.monotonic() > deadline:
                    raise AssertionError(
                        f"no {field} (exit {self.proc.poll()}); got {self.messages}\n"
                        + self.output()
                    ) from None
                continue
            self.messages.append(message)
            if field in message.split("\n"):
                return self.messages

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=DEADLINE)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def events(self) -> list[dict[str, object]]:
        found = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
        self.sock.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def config_text(
    url: str, *, extra_panels: str = "", tail: str = "", panel: str = "", timeout: str = "10s"
) -> str:
    return f"""
[database]
path = "t.db"
[[panels]]
name = "sim"
url = "{url}"
key_env = "SIM_KEY"
timeout = "{timeout}"
retry_budget = "5s"
{panel}
{extra_panels}
[schedule]
status_every = "1h"
status_max_every = "1h"
[refill]
enabled = false
{tail}
"""


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A simulated panel, a config for it, the CLI in-process, and daemons to start."""
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    config = tmp_path / "tracker.toml"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    env = dict(os.environ)
    runner = CliRunner()
    started: list[Daemon] = []

    def cli(*args: str):
        return runner.invoke(main, ["--config", str(config), *args], catch_exceptions=False)

    def daemon(**options: int | None) -> Daemon:
        started.append(Daemon(config, env, **options))
        return started[-1]

    yield SimpleNamespace(
        panel=panel, server=server, config=config, cli=cli, daemon=daemon, db=tmp_path / "t.db"
    )
    for d in started:
        d.close()
    server.stop()


def fields(messages: list[str]) -> list[str]:
    """Flatten datagrams into their KEY=value fields, in arrival order."""
    return [f for m in messages for f in m.split("\n")]


def test_ready_then_watchdog_then_stopping_reach_the_socket_in_order(world):
    world.config.write_text(config_text(world.server.url))
    ids = world.panel.seed_orders(12)
    assert world.cli("track", *map(str, ids)).exit_code == 0
    daemon = world.daemon(watchdog_usec=400_000)  # a ping every 0.2 s
    daemon.wait_for("READY=1")
    daemon.wait_for("WATCHDOG=1")
    assert daemon.stop() == 0, daemon.output()
    daemon.wait_for("STOPPING=1")
    got = fields(daemon.messages)
    ready, watchdog, stopping = (got.index(f) for f in ("READY=1", "WATCHDOG=1", "STOPPING=1"))
    assert ready < watchdog < stopping
    status = next(f for f in got if f.startswith("STATUS="))
    assert "12 open orders" in status  # READY=1 carries the summary too
    assert not any(f.startswith(("READY", "WATCHDOG")) for f in got[stopping:])


def test_no_watchdog_pings_unless_systemd_asks(world):
    world.config.write_text(config_text(world.server.url))
    daemon = world.daemon()
    daemon.wait_for("READY=1")
    assert daemon.stop() == 0
    daemon.wait_for("STOPPING=1")
    assert "WATCHDOG=1" not in fields(daemon.messages)


def test_second_daemon_on_one_database_is_refused_while_reads_work(world):
    port = free_port()
    world.config.write_text(
        config_text(world.server.url, tail=f'[metrics]\nlisten = "127.0.0.1:{port}"')
    )
    ids = world.panel.seed_orders(5)
    world.cli("track", *map(str, ids))
    first = world.daemon()
    first.wait_for("READY=1")
    pid = first.proc.pid

    once = world.cli("run", "--once")
    assert once.exit_code == 1
    assert f"the smm-tracker daemon (pid {pid}) is using database" in once.output
    assert "stop it first" in once.output
    assert len(once.output.strip().splitlines()) == 1 and "Traceback" not in once.output
    second = subprocess.run(
        [*smm_tracker(), "--config", str(world.config), "run"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert second.returncode == 1 and "is using database" in second.stderr

    listed = world.cli("orders", "--json")  # read-only commands keep working
    assert listed.exit_code == 0
    assert sorted(r["order_id"] for r in json.loads(listed.output)) == sorted(ids)
    assert world.cli("history", str(ids[0])).exit_code == 0

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    assert 'smm_tracker_api_calls_total{action="status",panel="sim"}' in text

    assert first.stop() == 0
    assert world.cli("run", "--once").exit_code == 0  # the lock went with the daemon


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _wait_until(check: Callable[[], bool], daemon: Daemon) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline or daemon.proc.poll() is not None:
            raise AssertionError(f"condition never held\n{daemon.output()}")
        time.sleep(0.05)


HOLD = 3600.0  # seconds: an answer held until the panel's server stops (the test's end)


def _held_after(world, action: str, answered: int) -> None:
    """Have the panel answer the first ``answered`` calls of ``action`` as it
    would, then hold each later one's answer until its server stops: how far
    the daemon gets meanwhile no longer depends on how soon the test, on a
    loaded host, takes its next step."""
    answer = world.panel.answer

    def holding(form: dict[str, str]) -> Reply:
        reply = answer(form)
        if form.get("action") == action and world.panel.calls[action] > answered:
            return reply._replace(delay=HOLD)
        return reply

    world.panel.answer = holding


def test_sigterm_during_a_slow_poll_exits_0_with_whole_batches_only(world):
    # Five batches of 100, one call on the wire at a time, the first two
    # answered after 1.2 s, the others held. At the SIGTERM (sent once the
    # first batch is stored) the call on the wire is a read: the stop no
    # longer waits out its answer (stored if it comes within the stop's
    # grace, else asked again at the next start); no batch queued behind it
    # is sent. A test that took 2.4 s or more to send it on a loaded host
    # had every batch answered before (500 stored); now the third is held.
    world.panel.slow_seconds = 1.2
    world.panel.inject("slow", count=10, action="status")
    _held_after(world, "status", 2)
    world.config.write_text(config_text(world.server.url, panel="max_batch = 100\nconcurrency = 1"))
    ids = world.panel.seed_orders(500)
    world.cli("track", *map(str, ids))
    daemon = world.daemon()
    daemon.wait_for("READY=1")
    checked = "SELECT count(*) FROM orders WHERE last_checked_at IS NOT NULL"
    _wait_until(lambda: _count(world.db, checked) >= 100, daemon)

    assert daemon.stop(signal.SIGTERM) == 0, daemon.output()

    conn = sqlite3.connect(world.db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    done = _count(world.db, checked)
    with_status = _count(world.db, "SELECT count(*) FROM orders WHERE status IS NOT NULL")
    transitions = _count(world.db, "SELECT count(*) FROM transitions")
    # Whole batches only, each with its transitions; no batch begun after the stop.
    assert done % 100 == 0 and 100 <= done <= 200
    assert with_status == done == transitions
    assert done // 100 <= world.panel.calls["status"] <= done // 100 + 1
    assert any(e.get("event") == "daemon_stopped" for e in daemon.events())


def test_sigterm_mid_cycle_logs_no_error_and_counts_no_failure(world):
    # Six requests a minute, one at a time: the first job's call goes out and
    # the panel holds its answer; the other jobs' calls wait 10 and 20 s for
    # the rate limit, then for that call's end. SIGTERM then leaves them
    # unsent and ends the wait for the first one's answer (a read), which is
    # the stop working, not the panel failing. Only the stop frees the one
    # slot (the call's deadline is 10 minutes away): on a loaded host a
    # SIGTERM acted on past the rate limit's 10 s had a second call sent.
    world.panel.slow_seconds = 3600.0  # until the panel's server stops
    world.panel.inject("slow")
    one_at_a_time = "requests_per_minute = 6\nconcurrency = 1"
    world.config.write_text(config_text(world.server.url, panel=one_at_a_time, timeout="600s"))
    world.cli("track", *map(str, world.panel.seed_orders(50)))
    daemon = world.daemon()
    daemon.wait_for("READY=1")
    _wait_until(lambda: sum(world.panel.calls.values()) >= 1, daemon)

    assert daemon.stop(signal.SIGTERM) == 0, daemon.output()

    events = daemon.events()
    errors = [e for e in events if e.get("level") in ("error", "critical")]
    assert errors == [], daemon.output()
    stopped = [e for e in events if e.get("event") == "daemon_stopped"]
    assert stopped and stopped[0]["failures"] == 0, daemon.output()
    assert sum(world.panel.calls.values()) == 1  # the others were never sent
    status = [f for f in fields(daemon.wait_for("STOPPING=1")) if f.startswith("STATUS=")]
    assert status and not any(re.search(r"[1-9]\d* failed|[^o] jobs? failing", f) for f in status)


def test_backup_while_a_poll_is_writing_holds_every_committed_transition(world, tmp_path):
    # Ten batches of 100, each answered after 0.5 s and committed on its own,
    # from the seventh on held: the backup runs while the daemon is between
    # commits. A backup that took 4 s on a loaded host came after the last
    # commit (the poll over); the held batch keeps the poll going.
    world.panel.slow_seconds = 0.5
    world.panel.inject("slow", count=20, action="status")
    _held_after(world, "status", 6)
    world.config.write_text(config_text(world.server.url, panel="max_batch = 100\nconcurrency = 1"))
    world.cli("track", *map(str, world.panel.seed_orders(1000)))
    daemon = world.daemon()
    daemon.wait_for("READY=1")
    _wait_until(lambda: _count(world.db, "SELECT count(*) FROM transitions") >= 200, daemon)

    before = _rows(world.db)
    made = world.cli("backup", str(tmp_path / "copy.db"))
    after = _rows(world.db)
    assert made.exit_code == 0, made.output
    assert "integrity ok" in made.output
    assert daemon.proc.poll() is None and len(after) < 1000  # the poll was still going

    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    copied = {row[0]: row for row in copy.execute(TRANSITIONS)}
    copy.close()
    assert set(before) <= set(copied) <= set(after)  # every committed one, nothing half-done
    assert all(copied[key] == after[key] for key in copied)
    assert len(copied) % 100 == 0  # whole batches

    again = world.cli("backup", str(tmp_path / "copy.db"))
    assert again.exit_code == 2 and "use --force" in again.output
    assert world.cli("backup", "--force", str(tmp_path / "copy.db")).exit_code == 0
    assert daemon.stop() == 0


TRANSITIONS = "SELECT panel || ':' || order_id || ':' || id, * FROM transitions"


def _rows(db: Path) -> dict[str, tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return {row[0]: row for row in conn.execute(TRANSITIONS)}
    finally:
        conn.close()


def test_sighup_reloads_the_config_and_keeps_it_when_the_new_one_is_broken(world):
    world.config.write_text(config_text(world.server.url))
    ids = world.panel.seed_orders(4)
    daemon = world.daemon()
    daemon.wait_for("READY=1")

    # A second panel appears in the config, with orders already tracked for it.
    store = Store(world.db)
    store.track("other", ids, datetime.now(UTC))
    store.close()
    other = _panel_at(world, "other")
    world.config.write_text(config_text(world.server.url, extra_panels=other))
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for("RELOADING=1")
    daemon.wait_for("READY=1")
    polled = "SELECT count(*) FROM orders WHERE panel = 'other' AND last_checked_at IS NOT NULL"
    _wait_until(lambda: _count(world.db, polled) == len(ids), daemon)

    # A broken config is logged and the running one kept.
    world.config.write_text(config_text(world.server.url, panel='timeout = "forever"'))
    _reload_fails_and_keeps_running(daemon)
    failed = [e for e in daemon.events() if e.get("event") == "reload_failed"]
    assert len(failed) == 1 and failed[0]["kept"] == "previous config"
    reloaded = [e for e in daemon.events() if e.get("event") == "reloaded"]
    assert reloaded and reloaded[0]["panels"] == ["sim", "other"]


def _reload_fails_and_keeps_running(daemon: Daemon) -> None:
    """SIGHUP ``daemon`` over a bad config: it says so, keeps running, stops cleanly."""
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for("RELOADING=1")
    ready = daemon.wait_for("READY=1")[-1]
    assert "reload failed" in ready and "kept the previous config" in ready
    assert daemon.proc.poll() is None
    assert daemon.stop() == 0


def test_sighup_with_a_deeply_nested_config_keeps_the_daemon_and_its_config(world):
    # tomllib's RecursionError used to end the daemon (exit 1) on this reload.
    world.config.write_text(config_text(world.server.url))
    daemon = world.daemon()
    daemon.wait_for("READY=1")
    world.config.write_text(config_text(world.server.url) + "x = " + "{a=" * 1000 + "}" * 1000)
    _reload_fails_and_keeps_running(daemon)
    [failed] = [e for e in daemon.events() if e.get("event") == "reload_failed"]
    assert failed["problems"] == [f"{world.config}: invalid TOML: nested too deeply"]
    assert "Traceback" not in daemon.output()


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


def _track_on(world, ids_by_panel: dict[str, list[int]]) -> None:
    """Track orders straight in the database, each list on its panel."""
    store = Store(world.db)
    for panel, ids in ids_by_panel.items():
        store.track(panel, ids, datetime.now(UTC))
    store.close()


def _panel_at(world, name: str) -> str:
    """Return a [[panels]] table named ``name`` for the world's simulated panel.
    Its url carries a query the panel reads past: one url and key under two
    names is one account configured twice, which the config refuses."""
    url = f"{world.server.url}?entry={name}"
    return f'[[panels]]\nname = "{name}"\nurl = "{url}"\nkey_env = "SIM_KEY"'


def test_a_panel_removed_by_sighup_leaves_the_metrics(world):
    # Its series would otherwise stay frozen until a restart: an alert on
    # `time() - smm_tracker_last_poll_success_timestamp_seconds` would fire for it.
    port = free_port()
    metrics = f'[metrics]\nlisten = "127.0.0.1:{port}"'
    ids = world.panel.seed_orders(6)
    _track_on(world, {"sim": ids[:3], "other": ids[3:]})
    other = _panel_at(world, "other")
    world.config.write_text(config_text(world.server.url, extra_panels=other, tail=metrics))
    daemon = world.daemon()
    daemon.wait_for("READY=1")
    polled = 'last_poll_success_timestamp_seconds{panel="other"}'
    _wait_until(lambda: polled in _scrape(port), daemon)
    assert 'smm_tracker_open_orders{panel="other"' in _scrape(port)

    world.config.write_text(config_text(world.server.url, tail=metrics))
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for("RELOADING=1")
    daemon.wait_for("READY=1")
    text = _scrape(port)
    # Every series of it goes but one: its open orders, which nothing polls now.
    unpolled = 'smm_tracker_unpolled_orders{panel="other"} 3.0'
    assert unpolled in text
    rest = text.replace(unpolled, "")
    assert 'panel="other"' not in rest and ':other"' not in rest
    assert 'smm_tracker_job_runs_total{job="status:sim"}' in text  # the kept panel's stay
    assert 'smm_tracker_api_calls_total{action="status",panel="sim"}' in text
    assert daemon.stop() == 0


def test_open_orders_of_a_panel_left_out_of_the_config_are_never_silent(world):
    # Never stop tracking an order silently: a panel taken out of the config
    # (here "slow" before the start, "other" by a reload) keeps its open
    # orders in the database, unpolled; the start and each reload say so.
    ids = world.panel.seed_orders(8)
    _track_on(world, {"slow": ids[:5], "other": ids[5:]})
    world.config.write_text(config_text(world.server.url, extra_panels=_panel_at(world, "other")))
    daemon = world.daemon()
    ready = fields(daemon.wait_for("READY=1"))
    status = [f for f in ready if f.startswith("STATUS=")][-1]
    assert "5 open orders not polled (not in the config: slow)" in status

    world.config.write_text(config_text(world.server.url))
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_for("RELOADING=1")
    status = [f for f in fields(daemon.wait_for("READY=1")) if f.startswith("STATUS=")][-1]
    assert "not in the config: other, slow" in status
    assert daemon.stop() == 0
    warned = [
        (e["panel"], e["open_orders"], e["detail"])
        for e in daemon.events()
        if e.get("event") == "orders_of_unconfigured_panel"
    ]
    still_open = _count(world.db, "SELECT count(*) FROM orders WHERE panel = 'other' AND polling")
    assert [(panel, count) for panel, count, _ in warned] == [
        ("slow", 5),  # at the start
        ("other", still_open),  # at the reload
        ("slow", 5),
    ]
    assert warned[0][2] == (
        "5 open orders belong to panel 'slow', which is not in the config: not polled; "
        "add the panel back or untrack them (smm-tracker untrack --panel slow ID...)"
    )
    assert still_open > 0


class Silent:
    """A panel that accepts connections and never answers, until released:
    each call to it hangs to its ``timeout``, as a silent panel's does."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/v2"
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # released
                return
            self.held.append(conn)

    def release(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes accept(): close alone would not
        self.sock.close()
        for conn in self.held:
            conn.close()


def _first_runs_done(daemon: Daemon, panel: str) -> bool:
    """Whether each of ``panel``'s jobs the daemon started with has ended a
    run (``job_done``, logged at debug)."""
    events = daemon.events()
    started = next((e["jobs"] for e in events if e.get("event") == "daemon_started"), None)
    if started is None:
        return False
    ended = {e["job"] for e in events if e.get("event") == "job_done"}
    jobs = [str(j) for j in started if str(j).endswith(f":{panel}")]
    return all(job in ended for job in jobs)


def test_a_reload_while_one_panel_hangs_starts_the_other_panels_jobs(world):
    # SIGHUP while a call to "silent" hung (60 s timeout) held every panel's
    # jobs until it ended: here the reload adds a panel, and its first poll
    # comes while the silent panel's call is still held open.
    silent = Silent()
    try:
        ids = world.panel.seed_orders(6)
        _track_on(world, {"silent": ids[:3], "other": ids[3:]})
        hanging = (
            f'[[panels]]\nname = "silent"\nurl = "{silent.url}"\nkey = "{KEY}"\ntimeout = "60s"'
        )
        debug = '[logging]\nlevel = "debug"'  # job_done: which runs have ended
        world.config.write_text(config_text(world.server.url, extra_panels=hanging, tail=debug))
        daemon = world.daemon()
        daemon.wait_for("READY=1")
        _wait_until(lambda: bool(silent.held), daemon)  # a call to it is on the wire
        # and sim's first runs over (on a loaded host they were still running
        # at the reload, which waited for them too): silent's alone are held
        _wait_until(lambda: _first_runs_done(daemon, "sim"), daemon)
        both = f"{hanging}\n{_panel_at(world, 'other')}"
        world.config.write_text(config_text(world.server.url, extra_panels=both, tail=debug))
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for("RELOADING=1")
        polled = "SELECT count(*) FROM orders WHERE panel = 'other' AND last_checked_at IS NOT NULL"
        _wait_until(lambda: _count(world.db, polled) == 3, daemon)
        assert silent.thread.is_alive()  # its calls still held open, unanswered
        waiting = [e for e in daemon.events() if e.get("event") == "reload_waiting"]
        assert waiting and all(str(job).endswith(":silent") for job in waiting[0]["running"])
    finally:
        silent.release()
    daemon.wait_for("READY=1")  # the reload is done once the silent panel's call ended
    assert daemon.stop() == 0, daemon.output()

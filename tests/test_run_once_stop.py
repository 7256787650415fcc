"""`run --once` stopped by Ctrl-C or SIGTERM, as a user (or a timer unit) stops it.

The real CLI runs as a process of its own against a simulated panel that answers
status calls slowly: the answers are worked out as each request arrives (so the
panel's call counter says what reached it) and sent only after the delay.
A stop must not send the batches still queued, must keep what was answered,
and must not wait for the slow answers once asked a second time. Waits have
deadlines far above what a working stop takes; nothing asserts how fast.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.said import Said
from tests.simconfig import SOURCE, sim_config
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "stop-key-7Rq2Lm9Xv4Tc8Hp3"
HANG = 60.0  # seconds: only reached when something hangs


class World:
    def __init__(self, directory: Path, panel: SimulatedPanel, server: PanelServer):
        self.dir, self.panel, self.server = directory, panel, server

    def start(self, *args: str, ignore_sigint: bool = False) -> subprocess.Popen[str]:
        def ignoring() -> None:  # as `smm-tracker run --once &` in a script
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        return subprocess.Popen(
            [sys.executable, "-m", "tracker", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
            cwd=self.dir,
            preexec_fn=ignoring if ignore_sigint else None,
        )

    def wait_for_calls(self, count: int) -> None:
        deadline = time.monotonic() + HANG
        while self.panel.calls["status"] < count:
            assert time.monotonic() < deadline, "the poll never reached the panel"
            time.sleep(0.02)

    def statuses(self) -> dict[str | None, int]:
        with sqlite3.connect(self.dir / "t.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            rows = db.execute("SELECT status, count(*) FROM orders GROUP BY status").fetchall()
        return dict(rows)


def world_with(tmp_path: Path, latency: float, timeout: str) -> Iterator[World]:
    # Only status answers are slow: the catalogue and the balance, asked beside
    # the poll, must not hold the two slots the poll's batches are meant to.
    panel = NotedPanel(latency, key=KEY, seed=3)
    with PanelServer(panel, latency_from_arrival=True) as server:
        # 800 orders in batches of 100, two calls on the wire at a time.
        config = sim_config(
            server.url, panel=f'concurrency = 2\nmax_batch = 100\ntimeout = "{timeout}"'
        )
        (tmp_path / "tracker.toml").write_text(config)
        ids = panel.seed_orders(800, status="In progress")
        world = World(tmp_path, panel, server)
        tracked = world.start("track", *map(str, ids))
        assert tracked.wait(HANG) == 0, tracked.stderr.read() if tracked.stderr else ""
        panel.reset_counters()
        yield world


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[World]:
    """Status answers take 3 s; the timeout (20 s) is far longer."""
    yield from world_with(tmp_path, latency=3.0, timeout="20s")


@pytest.fixture
def brisk(tmp_path: Path) -> Iterator[World]:
    """Status answers take 0.5 s: the 800 orders in four rounds."""
    yield from world_with(tmp_path, latency=0.5, timeout="20s")


@pytest.fixture
def stuck(tmp_path: Path) -> Iterator[World]:
    """Status answers take 40 s, inside a 50 s timeout: only a second Ctrl-C is quick."""
    yield from world_with(tmp_path, latency=40.0, timeout="50s")


def finish(proc: subprocess.Popen[str], within: float = HANG) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=within)
    return proc.returncode, out, err


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "stopped by SIGTERM")],
)
def test_a_stop_sends_no_queued_batch_and_keeps_what_was_answered(slow, signum, code, said):
    proc = slow.start("run", "--once")
    slow.wait_for_calls(2)  # two batches on the wire, two more queued behind them
    proc.send_signal(signum)
    returncode, out, err = finish(proc)
    assert returncode == code
    assert "stopping: calls on the wire end within" in err
    assert err.rstrip().endswith(f"smm-tracker: {said}")
    assert "Traceback" not in err
    # The two calls on the wire were answered and stored; nothing else was sent.
    assert slow.panel.calls["status"] == 2
    assert "sim: 200 checked, 200 changed" in out
    assert slow.statuses() == {"In progress": 200, None: 600}


def test_a_second_ctrl_c_leaves_without_waiting_for_the_panel(stuck):
    proc = stuck.start("run", "--once")
    stuck.wait_for_calls(2)
    said = Said(proc)
    proc.send_signal(signal.SIGINT)
    said.wait_for("Ctrl-C again to leave now", HANG)  # two a moment apart may arrive as one
    proc.send_signal(signal.SIGINT)
    # The answers on the wire come 40 s after they were asked: leaving well
    # before that is the point (the first Ctrl-C alone waits for them).
    returncode, _out, err = said.finish(20.0)
    assert returncode == 130
    assert "smm-tracker: interrupted: left running jobs" in err
    assert "Traceback" not in err
    assert stuck.panel.calls["status"] == 2
    # What it stored is in the database file itself: the -wal checkpointed
    # and gone, as at a clean exit (a copy of t.db alone, `cp` in a backup
    # script, missed the run's writes; the next open had them replayed).
    assert not (stuck.dir / "t.db-wal").exists()
    assert stuck.statuses() == {None: 800}  # nothing stored half-way


class NotedPanel(SimulatedPanel):
    """A simulated panel that notes when each status call arrived, and answers
    status calls ``status_delay`` seconds late (its other calls at once)."""

    def __init__(self, status_delay: float = 0.0, **options: object):
        super().__init__(**options)  # type: ignore[arg-type]
        self.status_at: list[float] = []
        self.asked: dict[str, list[float]] = {}
        self.status_delay = status_delay

    def answer(self, form):  # type: ignore[no-untyped-def]
        self.asked.setdefault(str(form.get("action")), []).append(time.monotonic())
        if form.get("action") != "status":
            return super().answer(form)
        self.status_at.append(time.monotonic())
        return super().answer(form)._replace(delay=self.status_delay)


def test_panels_are_polled_side_by_side(tmp_path):
    # "slow" answers 3 s after each request; "fast" at once. Each panel's jobs
    # still run in turn, but the fast panel is not left waiting for the slow one.
    slow, fast = NotedPanel(3.0, key=KEY, seed=1), NotedPanel(key=KEY, seed=2)
    with PanelServer(slow) as slow_server, PanelServer(fast) as fast_server:
        config = "\n".join(
            ["[database]", 'path = "t.db"']
            + [
                f'[[panels]]\nname = "{name}"\nurl = "{server.url}"\nkey_env = "SIM_KEY"'
                for name, server in (("slow", slow_server), ("fast", fast_server))
            ]
        )
        (tmp_path / "tracker.toml").write_text(config + "\n")
        world = World(tmp_path, slow, slow_server)
        for name, panel in (("slow", slow), ("fast", fast)):
            ids = map(str, panel.seed_orders(3, status="In progress"))
            tracked = world.start("track", "--panel", name, *ids)
            assert tracked.wait(HANG) == 0
        returncode, out, err = finish(world.start("run", "--once"))
    assert returncode == 0, err
    assert "slow: 3 checked, 3 changed" in out
    assert "fast: 3 checked, 3 changed" in out
    assert out.index("slow:") < out.index("fast:")  # the summary keeps the config's order
    # The fast panel was asked while the slow one's answer was still on its way.
    assert fast.status_at[0] < slow.status_at[0] + 3.0


def test_a_panels_catalogue_and_balance_are_asked_beside_its_poll(tmp_path):
    # The status answer comes 3 s late: the catalogue and the balance are not
    # left waiting for it (a run took their sum); the stall watch, which
    # judges what the poll stored, still comes after it.
    panel = NotedPanel(3.0, key=KEY, seed=1)
    with PanelServer(panel) as server:
        (tmp_path / "tracker.toml").write_text(
            f'[database]\npath = "t.db"\n[[panels]]\nname = "sim"\n'
            f'url = "{server.url}"\nkey_env = "SIM_KEY"\n'
        )
        world = World(tmp_path, panel, server)
        ids = map(str, panel.seed_orders(3, status="In progress"))
        assert world.start("track", "--panel", "sim", *ids).wait(HANG) == 0
        # At debug: the stall watch's line, none stalled, is at debug otherwise.
        returncode, out, err = finish(world.start("run", "--once", "--all", "--log-level", "debug"))
    assert returncode == 0, err
    assert "sim: 3 checked, 3 changed" in out
    answered = panel.status_at[0] + 3.0
    assert panel.asked["services"][0] < answered
    assert panel.asked["balance"][0] < answered
    assert err.index("poll_done") < err.index("stalls_checked")


def test_a_run_started_with_ctrl_c_ignored_keeps_ignoring_it(brisk):
    proc = brisk.start("run", "--once", ignore_sigint=True)
    brisk.wait_for_calls(2)
    proc.send_signal(signal.SIGINT)  # meant for the script, not for this run
    returncode, out, err = finish(proc)
    assert returncode == 0, err
    assert "stopping" not in err
    assert "sim: 800 checked, 800 changed" in out

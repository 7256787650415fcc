"""The stall watch's judgement done in the poll's waits (``run --once``).

What a user checks: the watch's pass after the poll has less left to judge,
and every stall and moving alert is raised exactly as without it, once.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import H, World
from structlog.testing import capture_logs

from tests.simconfig import SOURCE, sim_config
from tracker.clock import iso, utcnow
from tracker.errors import StoreError
from tracker.jobs.prejudge import Prejudge
from tracker.sim.server import SERVICE_FOLLOWERS, PanelServer, SimulatedPanel
from tracker.store.alerts import alerts_since

# The stall watch's log lines are read: logging set up by a test before
# (a CLI run at level warning) must not filter them out.
pytestmark = pytest.mark.usefixtures("fresh_logs")

STEP = 600.0


def _kinds(w: World, kind: str) -> list[dict]:
    return [a for a in alerts_since(w.store, None, limit=1000) if a["kind"] == kind]


def _pass(w: World) -> int:
    """Run the automation job (the stall watch's pass); return how many it judged."""
    with capture_logs() as logs:
        assert w.jobs["automation:sim"].run()
    (checked,) = [e for e in logs if e["event"] == "stalls_checked"]
    return checked["judged"]


def test_orders_judged_in_the_poll_are_skipped_and_alerts_stay_the_passes(world):
    w = world()
    stuck = w.order(SERVICE_FOLLOWERS, "Pending")  # stalls after 12 h
    moving = [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(4)]
    w.poll()
    assert _pass(w) == 5
    for _ in range(int(13 * H / STEP)):  # all five stall, alerted once
        w.clock.advance(STEP)
        w.poll()
        _pass(w)
    assert len(_kinds(w, "order_stalled")) == 1
    for order_id in moving:  # four of them move again: one order_moving
        w.panel.pin(order_id, "In progress")
    w.poll()
    assert _pass(w) == 4 and len(_kinds(w, "order_moving")) == 1
    fresh = [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(3)]

    prejudge = Prejudge(w.store, "sim", w.config.automation, w.clock)
    w.tracker.transition_listeners.append(prejudge.changed)
    w.clock.advance(STEP)
    w.panel.pin(stuck, "In progress")  # the stalled one moves: an event, left to the pass
    for order_id in moving:
        w.panel.pin(order_id, "Processing")  # the others change, no event
    w.poll()
    assert sorted(prejudge.queue) == sorted([stuck, *moving, *fresh])
    while prejudge.step():
        pass
    assert prejudge.judged == len(moving) + len(fresh)
    assert _pass(w) == 1  # only the stalled order, whose verdict alerts
    (_, second) = _kinds(w, "order_moving")
    assert [o["order_id"] for o in second["data"]["orders"]] == [stuck]
    assert len(_kinds(w, "order_stalled")) == 1
    assert _pass(w) == 0


@contextmanager
def _slow_panel(tmp_path: Path, key: str) -> Iterator[tuple[SimulatedPanel, Callable[..., Any]]]:
    """Yield a simulated panel answering each call 0.2 s after it arrived, and
    a function running the real CLI against it (one call of 100 orders at a
    time, JSON logs) in ``tmp_path``."""
    panel = SimulatedPanel(key=key, latency=0.2, seed=5)
    with PanelServer(panel, latency_from_arrival=True) as server:
        config = sim_config(server.url, panel="concurrency = 1\nmax_batch = 100", json_logs=True)
        (tmp_path / "tracker.toml").write_text(config)
        env = {**os.environ, "SIM_KEY": key, "PYTHONPATH": SOURCE}

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "tracker", *args]
            return subprocess.run(
                command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
            )

        yield panel, cli


def test_run_once_judges_in_the_polls_waits(tmp_path):
    # Five calls of 100 orders, one at a time, each answered 0.2 s after it
    # arrived: the orders of the first four are judged while the poll waits
    # for the next.
    with _slow_panel(tmp_path, "prejudge-key-Zq81Lm4Vx") as (panel, cli):
        ids = panel.seed_orders(500, status="Pending")
        assert cli("track", *map(str, ids)).returncode == 0
        judged = []
        for status in ("Pending", "In progress", "Processing"):
            for order_id in ids:
                panel.pin(order_id, status)
            done = cli("run", "--once", "--all", "--log-level", "debug")  # no stall: debug
            assert done.returncode == 0, done.stderr
            events = [json.loads(line) for line in done.stderr.splitlines() if line[:1] == "{"]
            (checked,) = [e for e in events if e["event"] == "stalls_checked"]
            judged.append(checked["judged"])
    # The first pass judges every open order (no pass ever stored the stall
    # settings, so the poll leaves them all to it). Then every order changed,
    # twice: the pass judged what the poll had no time left for, not all 500:
    # the last answers' orders (an answer is held up to 0.2 s to be stored
    # with the next, so the last two may be stored together at the end).
    assert judged[0] == 500
    assert all(0 <= n <= 200 for n in judged[1:]), judged


def test_run_once_stalls_by_the_medians_of_the_orders_its_poll_completed(tmp_path):
    # Service 7 has two orders that took an hour each: no median yet (it
    # takes three). Order `late` of that service was first seen 3 hours ago.
    # The run whose poll sees a third order of the service complete knows
    # the median (an hour), so `late` is far past its expected completion (2 x
    # 1 h): that run alerts it, not the next one. The poll judges the
    # fillers' orders ahead while it waits (its first answers), before the
    # third order's answer is stored.
    with _slow_panel(tmp_path, "prejudge-key-Med7Qw2Rt") as (panel, run):

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            done = run(*args)
            assert done.returncode == 0, done.stderr
            return done

        fillers = panel.seed_orders(300, status="Pending")
        first, second, third, late = panel.seed_orders(4, status="Pending")
        cli("track", *map(str, fillers))
        cli("track", "--service", "7", str(first), str(second), str(third), str(late))
        cli("run", "--once", "--all")  # the stall settings stored: later runs judge the changes
        panel.pin(first, "Completed")
        panel.pin(second, "Completed")
        cli("run", "--once", "--all")
        hours_ago = [iso(utcnow() - timedelta(hours=h)) for h in range(4)]
        with sqlite3.connect(tmp_path / "t.db") as db:  # as if tracked 3 hours ago
            db.execute(
                "UPDATE orders SET created_at = ?, completed_at = ? WHERE order_id IN (?, ?)",
                [hours_ago[3], hours_ago[2], first, second],
            )
            db.execute(
                "UPDATE orders SET created_at = ?, last_change_at = ? WHERE order_id = ?",
                [hours_ago[3], hours_ago[3], late],
            )
        cli("run", "--once", "--all")  # nothing new: no median, no eta, no stall
        for order_id in fillers:
            panel.pin(order_id, "In progress")
        panel.pin(third, "Completed")
        cli("run", "--once", "--all")
        with sqlite3.connect(tmp_path / "t.db") as db:
            stalled = db.execute("SELECT data FROM alerts WHERE kind = 'order_stalled'").fetchall()
    assert [[o["order_id"] for o in json.loads(d)["orders"]] for (d,) in stalled] == [[late]]


def test_a_failure_judging_ahead_never_fails_the_poll(world, monkeypatch):
    # The database busy past its wait (or a bug in the judgement) while the
    # poll waits on the panel: the poll still stores every answer, the
    # failure is logged, and the pass judges what was left.
    w = world(latency=0.05)
    ids = [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(3)]
    w.poll()
    assert _pass(w) == 3
    w.tracker.prejudge_in_polls()

    def busy(*args, **kwargs):
        raise StoreError("database is locked")

    monkeypatch.setattr("tracker.jobs.prejudge.changed_orders", busy)
    w.tracker.prejudges["sim"].queue.extend(ids)  # changed by an earlier answer
    for order_id in ids:
        w.panel.pin(order_id, "In progress")
    w.clock.advance(STEP)
    with capture_logs() as logs:
        w.poll()
    assert [e["event"] for e in logs if e["event"] == "prejudge_failed"] == ["prejudge_failed"]
    assert [w.store.order("sim", i)["status"] for i in ids] == ["In progress"] * 3
    assert _pass(w) == 3

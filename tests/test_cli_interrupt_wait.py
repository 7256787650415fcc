"""Ctrl-C while `add`, `cancel` or `refill` waits to send: nothing on the wire.

A panel whose rate limit is spent (a 429 saying how long to wait, or an
answer saying none of it is left) makes the command wait up to the retry
budget before sending. A first Ctrl-C then has no answer to wait for: it
ends the wait at once, nothing more is sent, and the command says it was
interrupted (exit 130). It used to wait the wait out and then send the
order the user had tried to stop, and say it was "placed before the stop".

The real CLI runs as a process of its own against a simulated panel taking
one request a minute (``simulate --quirk rate_limit=1``) on a clock that
never moves, so every refusal says 50 s more. Ctrl-C is sent once the log
line of the wait is out; the wait would outlast the test's patience. The
line a first Ctrl-C prints while an answer is on the wire, "waiting for the
panel's answer", is never said: nothing is (one landing between that log
line and the wait said it; tests/test_shield_wire_line.py lands it there).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import test_cli_interrupt as interrupt
from tests.said import Said
from tests.simconfig import sim_config
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "wait-key-7Hq2Lm9Xc4Vb8Nz3"
HANG = 40.0  # seconds: less than the panel's 50 s wait, far above what a Ctrl-C takes
MINUTE = 1_749_999_960.0  # a minute's start: the panel's window resets in 50 s, forever


class World(interrupt.World):
    """test_cli_interrupt's, with this module's key, every process kept."""

    key = KEY

    def __init__(self, directory: Path, panel: SimulatedPanel):
        super().__init__(directory, panel)
        self.procs: list[subprocess.Popen[str]] = []

    def cli(self, *args: str, **popen: Any) -> subprocess.Popen[str]:
        proc = super().cli(*args, **popen)
        self.procs.append(proc)
        return proc

    def spend(self) -> None:
        """Use the panel's one request of the minute."""
        self.panel.answer({"key": KEY, "action": "balance"})

    def interrupted_in_wait(
        self, proc: subprocess.Popen[str], event: str, printed: tuple[str, int] = ("", 0)
    ) -> tuple[int, str, str]:
        """Once the command logged ``event`` (its wait begins) and printed
        ``printed`` (a line, so many times) on stdout, send Ctrl-C once;
        return (exit code, stdout, stderr)."""
        said = Said(proc)
        said.wait_for(event, HANG)
        line, times = printed
        deadline = time.monotonic() + HANG
        while said.out.count(line) < times:
            assert time.monotonic() < deadline, f"never printed {line!r} {times} times"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        code, out, err = said.finish(HANG)
        assert "Traceback" not in err
        assert "waiting for the panel's answer" not in err  # none was coming
        return code, out, err


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    script = ScriptQuirks(rate_limit=1)
    panel = SimulatedPanel(key=KEY, clock=lambda: MINUTE + 10, quirks=False, script=script)
    with PanelServer(panel) as server:
        config = sim_config(server.url, panel='retry_budget = "2m"')
        (tmp_path / "tracker.toml").write_text(config)
        world = World(tmp_path, panel)
        try:
            yield world
        finally:
            for proc in world.procs:  # the old code waits on: not left behind
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()


ADD = ["add", "--service", "1", "--link", "https://instagram.example/me", "--quantity", "500"]


def test_ctrl_c_while_add_waits_out_a_429_places_nothing(world):
    world.spend()
    code, out, err = world.interrupted_in_wait(world.cli(*ADD), "panel_retry")
    assert code == 130
    assert out == ""
    assert err.rstrip().endswith("interrupted: sim: add: no order placed")
    assert world.panel.calls["add"] == 1  # the one refused: never sent again
    assert world.rows("SELECT count(*) FROM orders") == [(0,)]


def test_ctrl_c_while_refill_waits_out_a_429_sends_and_records_nothing(world):
    (order,) = world.panel.seed_orders(1, status="Completed")
    assert world.cli("track", str(order)).wait(HANG) == 0  # no call to the panel
    world.spend()
    code, out, err = world.interrupted_in_wait(world.cli("refill", str(order)), "panel_retry")
    assert code == 130
    assert err.rstrip().endswith(f"interrupted: order {order}: refill not sent, nothing recorded")
    assert world.panel.calls["refill"] == 1
    assert world.rows("SELECT count(*) FROM refills") == [(0,)]


def test_ctrl_c_while_cancel_is_held_by_a_spent_limit_sends_no_more(world):
    ids = [str(i) for i in world.panel.seed_orders(150, status="Pending")]
    assert world.cli("track", *ids).wait(HANG) == 0
    # The first call of 100 takes the minute's one request and is answered,
    # saying none is left: once its answers are out, the second is held.
    proc = world.cli("cancel", "--yes", *ids)
    printed = ("canceled (the panel accepted", 100)
    code, out, err = world.interrupted_in_wait(proc, "panel_rate_paced", printed)
    assert code == 130
    assert err.rstrip().endswith("interrupted: 50 orders not sent")
    assert world.panel.calls["cancel"] == 1
    assert world.rows("SELECT result, count(*) FROM cancels GROUP BY 1") == [("Accepted", 100)]
    assert out.count("not sent: stopping") == 50


def test_ctrl_c_while_cancels_call_is_on_the_wire_then_refused_429_is_an_interruption(
    tmp_path: Path,
):
    # The first Ctrl-C waits for the call on the wire; it comes back a 429,
    # not retried for the stop. Nothing was canceled because the user stopped
    # it: exit 130, as after any Ctrl-C, not "1 of 1 cancel not sent", 1.
    import threading

    from tests.hostile import HostileServer, Reply

    arrived, release = threading.Event(), threading.Event()

    def respond(form: dict[str, str]) -> Reply:
        arrived.set()
        release.wait(HANG)
        body = b'{"error": "Too many requests"}'
        headers = {"Content-Type": "application/json", "Retry-After": "50"}
        return Reply(body=body, status=429, headers=headers)

    with HostileServer(respond) as panel:
        (tmp_path / "tracker.toml").write_text(sim_config(panel.url))
        world = World(tmp_path, SimulatedPanel(key=KEY))
        assert world.cli("track", "5001").wait(HANG) == 0  # no call to the panel
        proc = world.cli("cancel", "--yes", "5001")
        try:
            said = Said(proc)
            assert arrived.wait(HANG)
            proc.send_signal(signal.SIGINT)
            said.wait_for("waiting for the panel's answer", HANG)
            release.set()
            code, out, err = said.finish(HANG)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
    assert code == 130, err
    assert err.rstrip().endswith("interrupted: 1 order not sent"), err
    assert len(panel.requests) == 1  # never sent again
    assert world.rows("SELECT count(*) FROM cancels") == [(0,)]


# A Ctrl-C whose signal is taken while the command's thread is already
# asleep in the wait, not woken by it: by another thread of the process (the
# main one holding SIGINT back here, as the kernel may pick any thread), or
# in the instant before the thread's sleep began (the CI failure: under load,
# the wait was slept out, 50 s). Python runs the handler only once that
# thread wakes, so the wait must wake on its own to let it.
SIGNAL_IN_ANOTHER_THREAD = """
import os, signal, threading, time
from tracker.cli.shield import Stop, Waits, shield

class Asleep(Stop):
    def __init__(self):
        super().__init__()
        self.entered = threading.Event()

    def wait(self, timeout=None):
        self.entered.set()
        return super().wait(timeout)

stop = Asleep()

def ctrl_c():  # started before the main thread holds SIGINT back: it lands here
    stop.entered.wait(30)
    time.sleep(0.3)  # the main thread asleep in the wait by then
    os.kill(os.getpid(), signal.SIGINT)
    if not stop.wait(%(hang)s):  # the wait slept on, the Ctrl-C unheard
        os._exit(3)

threading.Thread(target=ctrl_c, daemon=True).start()
waits = Waits(stop=stop)
with shield("the order just sent", waits) as state:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        waits.sleep(3600)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
print(state.asked, stop.is_set())
"""


def test_a_ctrl_c_taken_while_the_wait_sleeps_ends_it():
    import sys

    from tests.simconfig import SOURCE

    env = {"PYTHONPATH": SOURCE, "PATH": "/usr/bin:/bin"}
    script = SIGNAL_IN_ANOTHER_THREAD % {"hang": HANG / 2}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=HANG
    )
    # Exit 3: the hour's wait slept on, the Ctrl-C taken but unheard.
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True"], done.stderr


def test_a_first_ctrl_c_stops_the_client_before_its_handler_returns():
    # Taken as the wait ends (its last instant), the handler runs once the
    # wait is over; the stop event is set from a thread of its own (the main
    # thread may hold its lock: held here), which may not have run when the
    # command, back from the handler, asks whether to send: it sent.
    import signal

    from tracker.cli.shield import Waits, shield

    waits = Waits()
    with shield("the order just sent", waits):
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        with waits.stop._cond:  # the event's lock, held by the interrupted thread
            handler(signal.SIGINT, None)
            stopping = waits.stop.is_set()  # what the client asks before sending
        assert waits.stop.wait(HANG)  # and the event itself set once the lock is free
    assert stopping

"""Ctrl-C while `add`, `cancel` or `refill` waits for the panel's answer.

The real CLI runs as a process of its own against a simulated panel that
acts on each request as it arrives (its call counter says what reached it)
and holds back the answer to the call the test interrupts until the test
lets it go: once the command said it heard the Ctrl-C, or the Ctrl-Cs were
delivered (the command cannot say: stderr gone, SIGINT ignored). A second
Ctrl-C must leave without the answer: it is let go only once the command
ended. A first Ctrl-C waits for the answer, records it and sends nothing
more; a second one leaves at once and says what may have happened. Waits
have deadlines far above what they take (a held answer leaves on its own
after HOLD s, so a broken command fails instead of hanging); nothing
asserts how fast.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.said import Said
from tests.simconfig import SOURCE, sim_config
from tracker.sim.faults import Reply
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "intr-key-5Wd8Kq2Zr7Np4Lx9"
HANG = 60.0  # seconds: only reached when something hangs
HOLD = 30.0  # seconds a held answer waits at most, inside the command's 50 s timeout
AGAIN = "Ctrl-C again to leave without it"


class HeldPanel(SimulatedPanel):
    """A simulated panel that answers at once but for the calls :meth:`hold`
    names: those are acted on as they arrive and answered once :meth:`let_go`
    is called (or HOLD s later)."""

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._held: tuple[str, int] | None = None
        self._go = threading.Event()
        self._arrival = threading.Lock()  # an answer and its call's number, together

    def hold(self, action: str, call: int = 1) -> None:
        """Hold the answers to the ``call``-th ``action`` call and those after it."""
        self._held = (action, call)
        self._go.clear()

    def let_go(self) -> None:
        """Send the answers held, and hold no more."""
        self._go.set()

    def answer(self, form: Mapping[str, str]) -> Reply:
        action = form.get("action", "")
        with self._arrival:
            reply = super().answer(form)
            number = self.calls[action]
        held = self._held
        if held is not None and held[0] == action and number >= held[1]:
            self._go.wait(HOLD)
        return reply


def pending(proc: subprocess.Popen[str]) -> int:
    """The signals sent to ``proc`` not delivered yet, as a mask (Linux's
    /proc: the process's and each of its threads')."""
    mask = 0
    for status in Path(f"/proc/{proc.pid}/task").glob("*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:  # the thread ended as it was read
            continue
        for line in lines:
            if line.startswith(("SigPnd:", "ShdPnd:")):
                mask |= int(line.split()[1], 16)
    return mask


def delivered(proc: subprocess.Popen[str]) -> None:
    """Wait until the SIGINT sent to ``proc`` is delivered: dropped if
    ignored, else taken by its main thread (the kernel's pick), whose wait
    for an answer it interrupts: Python runs the handler before that wait
    goes on."""
    deadline = time.monotonic() + HANG
    while pending(proc) & (1 << (signal.SIGINT - 1)):
        assert time.monotonic() < deadline, "the Ctrl-C was never delivered"
        time.sleep(0.01)


class World:
    """A directory holding tracker.toml, the panel it points at, and the
    CLI started there as a process of its own (``$SIM_KEY``: ``key``)."""

    key = KEY

    def __init__(self, directory: Path, panel: SimulatedPanel):
        self.dir, self.panel = directory, panel

    def cli(self, *args: str, **popen: Any) -> subprocess.Popen[str]:
        """Start ``smm-tracker ARGS``; ``popen`` overrides Popen's arguments."""
        options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        return subprocess.Popen(
            [sys.executable, "-m", "tracker", *args],
            text=True,
            env={**os.environ, "SIM_KEY": self.key, "PYTHONPATH": SOURCE},
            cwd=self.dir,
            **{**options, **popen},
        )

    def wait_for(self, action: str, calls: int = 1) -> None:
        """Wait until ``calls`` ``action`` calls reached the panel."""
        deadline = time.monotonic() + HANG
        while self.panel.calls[action] < calls:
            assert time.monotonic() < deadline, f"no {action} call reached the panel"
            time.sleep(0.02)

    def interrupt(
        self, args: list[str], action: str, calls: int, times: int, heard: bool = True, **popen: Any
    ) -> tuple[int, str, str]:
        """Start ``smm-tracker ARGS`` with the answer to its ``calls``-th
        ``action`` call held; once that call reached the panel, send Ctrl-C
        ``times`` times, each once the command said it heard the one before
        (not ``heard``: it ignores them, each once the one before was
        delivered). Once the one Ctrl-C was heard, or every Ctrl-C ignored
        was delivered, let the answer go; after two heard, only once the
        command ended. Return (exit code, stdout, stderr)."""
        panel = self.panel
        assert isinstance(panel, HeldPanel), "the world of this module's fixture"
        panel.hold(action, calls)
        proc = self.cli(*args, **popen)
        self.wait_for(action, calls)
        said = Said(proc)
        for sent in range(times):
            if sent and heard:  # two sent a moment apart may arrive as one
                said.wait_for(AGAIN, HANG)
            proc.send_signal(signal.SIGINT)
            if not heard:
                delivered(proc)
        if heard and times == 1:
            said.wait_for(AGAIN, HANG)
        if not heard or times == 1:
            panel.let_go()
        code, out, err = said.finish(HANG)
        assert "Traceback" not in err
        return code, out, err

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.dir / "t.db") as db:
            return db.execute(sql).fetchall()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    panel = HeldPanel(key=KEY, seed=5)
    with PanelServer(panel) as server:
        config = sim_config(server.url, panel='timeout = "50s"')
        (tmp_path / "tracker.toml").write_text(config)
        try:
            yield World(tmp_path, panel)
        finally:
            panel.let_go()  # a handler still holding one, woken for the server's stop


ADD = ["add", "--service", "1", "--link", "https://instagram.example/me", "--quantity", "500"]


def test_add_interrupted_waits_for_the_order_and_tracks_it(world):
    code, out, err = world.interrupt(ADD, "add", 1, times=1)
    assert code == 0
    assert AGAIN in err
    assert "the order was placed before the stop, and is tracked" in err
    placed = int(out.strip())
    assert world.rows("SELECT order_id FROM orders") == [(placed,)]
    assert world.panel.calls["add"] == 1


def test_add_interrupted_twice_says_the_order_may_exist(world):
    code, out, err = world.interrupt(ADD, "add", 1, times=2)
    assert code == 130
    assert out == ""
    assert "outcome unknown — check the panel before placing it again" in err
    assert world.panel.calls["add"] == 1


def tracked(world: World, count: int) -> list[str]:
    ids = [str(i) for i in world.panel.seed_orders(count, status="Pending")]
    proc = world.cli("track", *ids)
    assert proc.wait(HANG) == 0
    return ids


def test_cancel_interrupted_sends_no_more_and_keeps_the_answers(world):
    ids = tracked(world, 300)  # three calls of 100
    code, out, err = world.interrupt(["cancel", "--yes", *ids], "cancel", 2, times=1)
    assert code == 130
    assert AGAIN in err
    assert err.rstrip().endswith("interrupted: 100 orders not sent")
    assert world.panel.calls["cancel"] == 2
    assert world.rows("SELECT result, count(*) FROM cancels GROUP BY 1") == [("Accepted", 200)]
    assert out.count("not sent: stopping") == 100


def test_cancel_interrupted_twice_records_the_call_on_the_wire_as_unknown(world):
    ids = tracked(world, 300)
    code, out, err = world.interrupt(["cancel", "--yes", *ids], "cancel", 2, times=2)
    assert code == 130
    assert err.rstrip().endswith("interrupted: 100 orders not sent")
    assert world.panel.calls["cancel"] == 2
    found = dict(world.rows("SELECT result, count(*) FROM cancels GROUP BY 1"))
    assert found == {"Accepted": 100, "Unknown": 100}
    assert out.count("unknown: interrupted before the panel's answer came - check the panel") == 100


def test_cancel_interrupted_twice_on_the_last_call_says_what_came_of_every_order(world):
    # Nothing was left to send: the last line said "interrupted: 0 orders not sent".
    ids = tracked(world, 200)
    code, out, err = world.interrupt(["cancel", "--yes", *ids], "cancel", 2, times=2)
    assert code == 130
    last = err.rstrip().splitlines()[-1]
    came = "100 orders canceled, 100 unknown"
    assert last == f"smm-tracker: interrupted once every order was sent: {came}", err
    assert world.panel.calls["cancel"] == 2
    assert out.count("unknown: interrupted before the panel's answer came - check the panel") == 100


def test_refill_interrupted_waits_for_the_answer(world):
    (order,) = world.panel.seed_orders(1, status="Completed")
    assert world.cli("track", str(order)).wait(HANG) == 0
    code, out, err = world.interrupt(["refill", str(order)], "refill", 1, times=1)
    assert code == 0
    assert AGAIN in err
    assert f"requested for order {order}" in out
    assert world.rows("SELECT status FROM refills") == [("Pending",)]


def test_add_interrupted_with_stderr_gone_still_tracks_the_order(world):
    # `smm-tracker add ... 2>&1 | tee add.log`: Ctrl-C stops tee too, so the
    # line the first Ctrl-C writes meets a closed pipe. The order placed must
    # still be waited for and tracked.
    # Its answer is let go once the Ctrl-C was delivered: the handler, and
    # its line's write, run before the command reads on.
    read, write = os.pipe()
    world.panel.hold("add")
    proc = world.cli(*ADD, stderr=write)
    os.close(write)
    os.close(read)  # the reader is gone before the Ctrl-C
    world.wait_for("add")
    proc.send_signal(signal.SIGINT)
    delivered(proc)
    world.panel.let_go()
    out, _ = proc.communicate(timeout=HANG)
    assert proc.returncode == 0
    placed = int(out.strip())
    assert world.rows("SELECT order_id FROM orders") == [(placed,)]
    assert world.panel.calls["add"] == 1


def ignoring() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_add_started_with_ctrl_c_ignored_keeps_ignoring_it(world):
    # `smm-tracker add ... &` in a script: the shell starts it with SIGINT
    # ignored, so the Ctrl-C meant for the script never stops it.
    code, out, err = world.interrupt(ADD, "add", 1, times=2, heard=False, preexec_fn=ignoring)
    assert code == 0, err
    assert AGAIN not in err
    assert world.rows("SELECT order_id FROM orders") == [(int(out.strip()),)]


def waits_for_the_lock(proc: subprocess.Popen[str]) -> bool:
    """Whether the command read its answer and waits for the write lock:
    its connection to the panel closed (add, cancel and refill keep none
    alive), no socket left, and its main thread asleep in the kernel, as
    SQLite's busy wait sleeps between tries (Linux's /proc)."""
    fds = Path(f"/proc/{proc.pid}/fd")
    try:
        sockets = [fd for fd in fds.iterdir() if os.readlink(fd).startswith("socket:")]
        asleep = Path(f"/proc/{proc.pid}/wchan").read_text() == "hrtimer_nanosleep"
    except OSError:  # a descriptor closed as it was read: look again
        return False
    return not sockets and asleep


def interrupted_while_storing(world: World, args: list[str], action: str) -> tuple[int, str, str]:
    """Run the CLI with ``args``; once ``action`` reached the panel, have
    another connection take the write lock (add proves the database writable
    before sending: a lock held before then refuses it) and let the panel's
    answer go; once the command waits to store it, send Ctrl-C twice, then
    free the lock; return (code, out, err). Waited for, not slept: a fixed
    4 s sent the Ctrl-Cs before the answer was in hand whenever it came, or
    was read, a second late (on a loaded host), and the command left (130)."""
    holder = sqlite3.connect(world.dir / "t.db", isolation_level=None)
    try:
        world.panel.hold(action)
        proc = world.cli(*args)
        world.wait_for(action)
        holder.execute("BEGIN IMMEDIATE")
        world.panel.let_go()
        deadline = time.monotonic() + HANG
        while not waits_for_the_lock(proc):  # the answer is in; storing it waits
            assert proc.poll() is None, "the command ended before storing the answer"
            assert time.monotonic() < deadline, "the command never waited for the lock"
            time.sleep(0.02)
        for _ in range(2):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.3)
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
    out, err = proc.communicate(timeout=HANG)
    assert "Traceback" not in err
    return proc.returncode, out, err


def test_add_interrupted_while_recording_the_order_still_tracks_it(world):
    # The answer came; the database is busy (another writer), so recording the
    # order waits. Ctrl-C then, even twice, must not leave it untracked.
    from tracker.store.orders import Store

    Store(world.dir / "t.db").close()
    code, out, err = interrupted_while_storing(world, ADD, "add")
    assert code == 0, err
    assert world.rows("SELECT order_id FROM orders") == [(int(out.strip()),)]


def test_cancel_interrupted_while_recording_the_answers_still_stores_them(world):
    # The panel answered; the database is busy (another writer), so storing
    # the answers waits. Ctrl-C then, even twice, must not lose them.
    ids = tracked(world, 100)  # one call
    code, out, err = interrupted_while_storing(world, ["cancel", "--yes", *ids], "cancel")
    assert code == 0, err
    assert world.rows("SELECT result, count(*) FROM cancels GROUP BY 1") == [("Accepted", 100)]
    assert out.count("canceled (the panel accepted") == 100

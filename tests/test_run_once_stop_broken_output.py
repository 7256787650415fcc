"""`run --once` stopped (Ctrl-C, SIGTERM) within its time limit, its output a
pipe whose reader is gone (`2>&1 | head -1` that has read its line): the
stop's status (130, 143) wins over the closed pipe's (141). Its last line,
`smm-tracker: interrupted`, met the closed pipe and the command ended as a
closed pipe ends one, 141: a script or a timer unit told "killed by SIGPIPE"
of a run it had stopped. The abandoned case (a second Ctrl-C):
test_run_once_leave_broken_output.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.simconfig import SOURCE
from tests.test_run_once_stop import HANG, KEY, World, slow  # noqa: F401  (fixture)


def started(world: World, *, stdout: int, stderr: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "run", "--once"],
        stdout=stdout,
        stderr=stderr,
        text=True,
        # Buffered as in a user's shell (not PYTHONUNBUFFERED, as the unit sets).
        env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE, "PYTHONUNBUFFERED": ""},
        cwd=world.dir,
    )


def readerless() -> tuple[int, int]:
    """A pipe whose reader is gone: every write fails with EPIPE. Return (its
    writing end, a second reference to it) for stdout and stderr alike."""
    read, write = os.pipe()
    os.close(read)
    return write, os.dup(write)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
@pytest.mark.parametrize("broken", ["stderr", "stdout and stderr"])
def test_a_stop_ends_with_its_status_whatever_the_closed_pipe(slow, signum, code, broken):  # noqa: F811
    write, other = readerless()
    try:
        if broken == "stderr":
            proc = started(slow, stdout=subprocess.DEVNULL, stderr=write)
        else:  # `2>&1 | head -1`
            proc = started(slow, stdout=write, stderr=other)
    finally:
        os.close(write)
        os.close(other)
    slow.wait_for_calls(2)  # two batches on the wire: the stop waits for them
    proc.send_signal(signum)
    try:
        returncode = proc.wait(HANG)
    finally:
        proc.kill()
    assert returncode == code
    assert slow.panel.calls["status"] == 2  # a stop as any: nothing else sent
    assert slow.statuses() == {"In progress": 200, None: 600}

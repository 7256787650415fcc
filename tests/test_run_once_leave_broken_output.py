"""`run --once` leaving jobs still running (a second Ctrl-C) when its output
cannot be written: stdout or stderr closed (`>&-`, `2>&-`), or stderr a pipe
whose reader is gone (`2>&1 | head -1` that has read its line). The process
leaves at once with the signal's status, as with a reader: neither the flush
nor a line it cannot write stops it (the flush raised, the quick exit was
skipped, and the run waited for the answers on the wire, or tracebacked)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.said import Said
from tests.simconfig import SOURCE
from tests.test_run_once_stop import KEY, World, stuck  # noqa: F401  (fixture)

LEAVE = 20.0  # seconds; the answers on the wire come 40 s after they were asked


def started(world: World, closed: int | None, stderr: int) -> subprocess.Popen[str]:
    def closing() -> None:  # `>&-` or `2>&-`: Python's sys.stdout or sys.stderr is None
        if closed is not None:
            os.close(closed)

    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "run", "--once"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        preexec_fn=closing,
        # Buffered as in a user's shell (not PYTHONUNBUFFERED, as the unit sets).
        env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE, "PYTHONUNBUFFERED": ""},
        cwd=world.dir,
    )


def test_a_second_ctrl_c_leaves_with_stdout_closed(stuck):  # noqa: F811
    proc = started(stuck, 1, subprocess.PIPE)
    stuck.wait_for_calls(2)
    said = Said(proc)
    proc.send_signal(signal.SIGINT)
    said.wait_for("Ctrl-C again to leave now", 60)
    proc.send_signal(signal.SIGINT)
    returncode, _out, err = said.finish(LEAVE)  # well before the answers on the wire
    assert returncode == 130, err
    assert "smm-tracker: interrupted: left running jobs" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("stderr", ["closed", "a pipe without a reader"])
def test_ctrl_c_again_leaves_with_stderr_unwritable(stuck, stderr):  # noqa: F811
    if stderr == "closed":
        proc = started(stuck, 2, subprocess.DEVNULL)
    else:
        read, write = os.pipe()
        os.close(read)  # every write fails with EPIPE
        try:
            proc = started(stuck, None, write)
        finally:
            os.close(write)
    stuck.wait_for_calls(2)
    # Nothing to read that the first Ctrl-C was taken: Ctrl-C until it leaves.
    deadline = time.monotonic() + LEAVE
    while proc.poll() is None and time.monotonic() < deadline:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
    returncode = proc.poll()
    proc.kill()
    proc.communicate()
    assert returncode == 130

"""A Ctrl-C while a command starts, landing inside a lazy import: exit 130
and the one line, never a traceback, whatever module it left half-loaded.

A stop inside ``import asyncio`` (structlog's) leaves its submodules loaded
and the package out; importing it again raised ``NameError: name
'base_events' is not defined``, and the error path (``fail``) imported
structlog. The CLI runs as a process of its own; the signals are sent once
it caught them (its ``SigCgt`` in ``/proc``), not timed from its start:
before that, Python itself is starting and prints its own traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.simconfig import SOURCE

HANG = 60.0  # seconds: only reached when something hangs
CONFIG = '[database]\npath = "t.db"\n\n[[panels]]\nname = "main"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k-123456"\n'  # noqa: E501
ENV = {**os.environ, "PYTHONPATH": SOURCE}

# asyncio as a Ctrl-C inside its import leaves it, then a stop in the command.
# The console script's own lines (pip writes them): `python -m tracker`
# exits -2 after the line when the Ctrl-C landed inside code Python built
# from a string (a dataclass's __init__): runpy's exit path keeps that, the
# script's does not (shells read both as 130).
CONSOLE_SCRIPT = "import sys\nfrom tracker.cli.entry import main\nsys.exit(main())"
HALF_LOADED = """
import sys
import asyncio
del sys.modules["asyncio"]
import tracker.cli.main as cli

def stopped(*args, **kwargs):
    raise KeyboardInterrupt

cli.Context.config = stopped
sys.argv = ["smm-tracker", *sys.argv[1:]]
from tracker.cli.entry import main
main()
"""


def test_a_stop_after_a_half_loaded_import_says_interrupted_and_exits_130(tmp_path: Path):
    (tmp_path / "tracker.toml").write_text(CONFIG)
    for args in (["orders"], ["track", "5"]):
        result = subprocess.run(
            [sys.executable, "-c", HALF_LOADED, *args],
            cwd=tmp_path,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=HANG,
        )
        assert "Traceback" not in result.stderr, args
        assert result.stderr == "smm-tracker: interrupted\n", args
        assert result.returncode == 130, args


# A Ctrl-C the very moment the console script caught SIGTERM: the sign the
# tests below wait for in /proc (Python catches SIGINT from its own start,
# so only SIGTERM's bit tells). SIGINT was caught after SIGTERM, and a
# Ctrl-C between the two was a traceback: on a loaded machine the command
# can be held there while the test below sends its Ctrl-C.
CTRL_C_AS_SIGTERM_IS_CAUGHT = """
import os
import signal
import sys

setting = signal.signal

def sent_at_once(number, handler):
    before = setting(number, handler)
    if number == signal.SIGTERM and before == signal.SIG_DFL:  # being caught now
        signal.signal = setting
        os.kill(os.getpid(), signal.SIGINT)
    return before

signal.signal = sent_at_once
sys.argv = ["smm-tracker", *sys.argv[1:]]
from tracker.cli.entry import main
main()
"""


def test_a_ctrl_c_once_sigterm_is_caught_is_one_line_and_130(tmp_path: Path):
    (tmp_path / "tracker.toml").write_text(CONFIG)
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C_AS_SIGTERM_IS_CAUGHT, "track", "5"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert "Traceback" not in result.stderr
    assert result.stderr == "smm-tracker: interrupted\n"
    assert result.returncode == 130


# A Ctrl-C as Python ends, the command done: in the code Python runs then
# (an atexit callback: this one runs last, registered first).
CTRL_C_AS_PYTHON_ENDS = """
import atexit
import os
import signal
import sys

def late():
    os.kill(os.getpid(), signal.SIGINT)
    sum(range(1000))  # Python code after it: where its handler would run

atexit.register(late)
sys.argv = ["smm-tracker", *sys.argv[1:]]
from tracker.cli.entry import main
main()
"""


def test_a_ctrl_c_once_the_command_ended_is_no_traceback(tmp_path: Path):
    (tmp_path / "tracker.toml").write_text(CONFIG)
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C_AS_PYTHON_ENDS, "track", "5", "--quantity", "100"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert "tracking 1 new order on main" in result.stdout  # the command's own end
    assert "Traceback" not in result.stderr
    assert result.stderr == ""
    assert result.returncode == -signal.SIGINT  # ended by the signal, as after Python's end


def caught_stops(pid: int) -> bool:
    """Whether the process catches SIGTERM (the console script caught the
    stop signals): Python starts with SIGTERM's default action."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_ctrl_c_anywhere_in_a_commands_start_is_one_line_never_a_traceback(tmp_path: Path):
    (tmp_path / "tracker.toml").write_text(CONFIG)
    endings = set()
    for step in range(12):  # 0 to 0.44 s after the signals were caught
        proc = subprocess.Popen(
            [sys.executable, "-c", CONSOLE_SCRIPT, "track", str(100 + step), "--quantity", "100"],
            cwd=tmp_path,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + HANG
        while proc.poll() is None and not caught_stops(proc.pid):
            assert time.monotonic() < deadline, "the command never caught the stop signals"
            time.sleep(0.002)
        time.sleep(step * 0.04)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=HANG)
        assert "Traceback" not in err, (step, err)
        # 130 and its line; 0 done; killed by the signal with nothing said
        # (-2): it came as Python was ending, after the command's own end.
        assert proc.returncode in (0, 130, -signal.SIGINT), (step, proc.returncode, err)
        if proc.returncode == 130:
            assert err.splitlines()[-1] == "smm-tracker: interrupted", (step, err)
        elif proc.returncode == -signal.SIGINT:
            assert err == "", (step, err)
        endings.add(proc.returncode)
    assert 130 in endings  # stopped while starting at least once

"""A command stopped in its first moment, while the commands load (click,
the tracker's modules: before ``tracker.cli.main`` is imported), ends as its
stop ends, one line said, not killed by the signal (-15) with no line, nor,
for a Ctrl-C, with a traceback.

The command runs as a process of its own, started as the console script
``pyproject.toml`` names is (or as ``python -m tracker``), held by an import
hook (a ``sitecustomize`` on its PYTHONPATH) at the first import of a
module: the test waits for the hook's line, sends the signal, then lets the
import go on."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.said import Said
from tests.simconfig import SOURCE, sim_config
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "entry-key-7Gd2Kp9Xw4Rb6Nq3"
HANG = 60.0  # seconds: only reached when something hangs

HOOK = """
import os
import sys

class Hold:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["SMM_TEST_HOLD_AT"]:
            sys.meta_path.remove(self)
            sys.stderr.write("held at " + name + "\\n")
            sys.stderr.flush()
            sys.stdin.readline()
        return None

sys.meta_path.insert(0, Hold())
"""


def _script() -> list[str]:
    """The console script as pip writes it, from pyproject.toml's entry."""
    pyproject = Path(SOURCE) / "pyproject.toml"
    spec = tomllib.loads(pyproject.read_text())["project"]["scripts"]["smm-tracker"]
    module, function = spec.split(":")
    code = (
        f"import sys; sys.argv[0] = 'smm-tracker'; from {module} import {function}; "
        f"sys.exit({function}())"
    )
    return ["-c", code]


LAUNCHES = {"script": _script, "module": lambda: ["-m", "tracker"]}


def _stopped_while_loading(
    directory: Path, launch: str, held: str, signum: int, *args: str
) -> tuple[int, str, str]:
    hook = directory / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK)
    proc = subprocess.Popen(
        [sys.executable, *LAUNCHES[launch](), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "SIM_KEY": KEY,
            "PYTHONPATH": os.pathsep.join([str(hook), SOURCE]),
            "SMM_TEST_HOLD_AT": held,
        },
        cwd=directory,
    )
    said = Said(proc)
    said.wait_for(f"held at {held}", HANG)
    proc.send_signal(signum)
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # killed by the signal (the bug): no reader
        proc.stdin.write("\n")  # the import goes on
        proc.stdin.close()
    code, out, err = said.finish(HANG)
    return code, out, err.replace(f"held at {held}\n", "")


@pytest.fixture
def panel(tmp_path: Path) -> Iterator[SimulatedPanel]:
    sim = SimulatedPanel(key=KEY, seed=7)
    with PanelServer(sim) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        ids = sim.seed_orders(3, status="In progress")
        tracked = subprocess.run(
            [sys.executable, "-m", "tracker", "track", *map(str, ids)],
            capture_output=True,
            text=True,
            env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
            cwd=tmp_path,
            timeout=HANG,
        )
        assert tracked.returncode == 0, tracked.stderr
        sim.reset_counters()
        yield sim


@pytest.mark.parametrize("launch", LAUNCHES)
@pytest.mark.parametrize("held", ["tracker.cli.main", "click"])
def test_a_command_stopped_while_loading_says_so(tmp_path, launch, held):
    code, out, err = _stopped_while_loading(tmp_path, launch, held, signal.SIGTERM, "orders")
    assert code == 128 + signal.SIGTERM, err  # was -15: killed, nothing said
    assert err == "smm-tracker: stopped by SIGTERM\n"
    assert out == ""


@pytest.mark.parametrize("launch", LAUNCHES)
def test_a_ctrl_c_while_loading_is_interrupted_without_a_traceback(tmp_path, launch):
    code, out, err = _stopped_while_loading(
        tmp_path, launch, "tracker.cli.main", signal.SIGINT, "orders"
    )
    assert code == 130, err  # was -2, after a traceback
    assert err == "smm-tracker: interrupted\n"
    assert out == ""


def test_a_simulator_stopped_while_loading_ends_as_asked(tmp_path):
    code, out, err = _stopped_while_loading(
        tmp_path, "script", "tracker.cli.main", signal.SIGTERM, "simulate", "--port", "0"
    )
    assert code == 0, err  # a stop asked for, as once it serves; was -15
    assert err == "smm-tracker: stopped by SIGTERM\n"
    assert "simulated panel at" not in out  # it never began


@pytest.mark.parametrize("launch", LAUNCHES)
def test_run_once_stopped_while_loading_says_so_and_asks_nothing(tmp_path, panel, launch):
    code, out, err = _stopped_while_loading(
        tmp_path, launch, "tracker.cli.main", signal.SIGTERM, "run", "--once"
    )
    assert code == 128 + signal.SIGTERM, err  # was -15: killed, nothing said
    assert "stopping: calls on the wire end within" in err
    assert err.rstrip().endswith("smm-tracker: stopped by SIGTERM")
    assert "Traceback" not in err
    assert "sim: statuses not checked" in out  # its summary, as a run stopped later
    assert sum(panel.calls.values()) == 0  # no job began


def test_the_daemon_stopped_while_loading_stops(tmp_path, panel):
    code, _out, err = _stopped_while_loading(
        tmp_path, "script", "click", signal.SIGTERM, "--log-format", "console", "run"
    )
    assert code == 0, err  # was -15
    assert "daemon_stopped" in err and "Traceback" not in err
    assert sum(panel.calls.values()) == 0


def test_run_interrupted_while_loading_says_so(tmp_path, panel):
    code, out, err = _stopped_while_loading(
        tmp_path, "script", "tracker.cli.main", signal.SIGINT, "run", "--once"
    )
    assert code == 130, err  # was -2, after a traceback
    assert err == "smm-tracker: interrupted\n"
    assert out == ""
    assert sum(panel.calls.values()) == 0

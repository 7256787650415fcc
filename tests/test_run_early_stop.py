"""A `run` stopped by SIGTERM while it starts (its modules loading, most of
its start) ends as any stopped run does: its stop line and exit code, not
killed by the signal (-15) with no line.

The real CLI runs as a process of its own, held by an import hook at the
moment a module of the run loads: the test waits for the hook's line, sends
SIGTERM, then lets the import go on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.said import Said
from tests.simconfig import SOURCE, sim_config
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "early-key-4Hq8Wm2Zr7Tc5Lp9"
HANG = 60.0  # seconds: only reached when something hangs

# The CLI, held at the first import of the module named after `-c`'s code
# until a line comes on stdin.
HELD = """
import sys

class Hold:
    def find_spec(self, name, path=None, target=None):
        if name == held:
            sys.meta_path.remove(self)
            sys.stderr.write("held at " + name + "\\n")
            sys.stderr.flush()
            sys.stdin.readline()
        return None

held = sys.argv.pop(1)
sys.meta_path.insert(0, Hold())
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


@pytest.fixture
def panel(tmp_path: Path) -> Iterator[SimulatedPanel]:
    sim = SimulatedPanel(key=KEY, seed=5)
    with PanelServer(sim) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url))
        ids = sim.seed_orders(3, status="In progress")
        tracked = _start(tmp_path, "", "track", *map(str, ids))
        assert tracked.wait(HANG) == 0
        sim.reset_counters()
        yield sim


def _start(directory: Path, held: str, *args: str) -> subprocess.Popen[str]:
    code = ["-c", HELD, held] if held else ["-m", "tracker"]
    return subprocess.Popen(
        [sys.executable, *code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
        cwd=directory,
    )


def _stopped_while_loading(directory: Path, module: str, *args: str) -> tuple[int, str, str]:
    proc = _start(directory, module, *args)
    said = Said(proc)
    said.wait_for(f"held at {module}", HANG)
    proc.send_signal(signal.SIGTERM)
    assert proc.stdin is not None
    proc.stdin.write("\n")  # the import goes on
    proc.stdin.close()
    return said.finish(HANG)


# The run's command module (most of its start), and one it loads deep inside.
@pytest.mark.parametrize("module", ["tracker.cli.run", "tracker.jobs.tracker"])
def test_run_once_stopped_while_starting_says_so_and_asks_nothing(tmp_path, panel, module):
    code, out, err = _stopped_while_loading(tmp_path, module, "run", "--once")
    assert code == 128 + signal.SIGTERM, err  # was -15: killed, nothing said
    assert "stopping: calls on the wire end within" in err
    assert err.rstrip().endswith("smm-tracker: stopped by SIGTERM")
    assert "Traceback" not in err
    assert "sim: statuses not checked" in out  # its summary, as a run stopped later
    assert sum(panel.calls.values()) == 0  # no job began


def test_the_daemon_stopped_while_starting_stops(tmp_path, panel):
    code, _out, err = _stopped_while_loading(tmp_path, "tracker.cli.run", "run")
    assert code == 0, err  # was -15
    assert "daemon_stopped" in err and "Traceback" not in err
    assert sum(panel.calls.values()) == 0

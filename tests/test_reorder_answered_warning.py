"""A re-order the panel placed is named at warning (`reorder_answered`), as
it is answered: money moved by the automation, in the log of whoever reads
it at `--log-level warning` (a cron mail, `journalctl -p warning`).

It was at info unless a stop had begun. At warning only the run's
`automation_reordered` alert named a placed re-order, once the run's
re-orders were over: a run ended before it (here the next re-order's
record failing) left the first one's new order in no line at warning; the
action row alone named it. The real CLI, a simulated panel on loopback."""

from __future__ import annotations

import json
import subprocess

from answered_cli import run_python
from simconfig import sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-ReorderWarn57"
AUTOMATION = "[automation]\nreorder = true\nreorder_services = [1]\ndaily_cap = 100\n"
# The real CLI, the second re-order's record failing (the disk full).
SECOND_RECORD_FAILS = """
import errno
from tracker.store import automation
record = automation.record_placed
calls = []
def record_placed(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        raise OSError(errno.ENOSPC, "No space left on device")
    return record(*args, **kwargs)
automation.record_placed = record_placed
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def _run(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_python(tmp_path, KEY, *args)


def test_each_reorder_placed_is_named_at_warning_as_it_is_answered(tmp_path):
    panel = SimulatedPanel(key=KEY, seed=7)
    with PanelServer(panel) as server:
        config = sim_config(server.url, json_logs=True) + AUTOMATION
        (tmp_path / "tracker.toml").write_text(config)
        add = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "1000"]
        parents = []
        for _ in range(2):
            placed = _run(tmp_path, "-m", "tracker", *add)
            assert placed.returncode == 0, placed.stderr
            parents.append(int(placed.stdout))
            panel.pin(parents[-1], "In progress")
        seen_open = _run(tmp_path, "-m", "tracker", "run", "--once", "--all")
        assert seen_open.returncode == 0, seen_open.stderr
        for parent in parents:
            panel.pin(parent, "Partial")  # the next poll sees them end: re-ordered
        done = _run(
            tmp_path, "-c", SECOND_RECORD_FAILS, "--log-level", "warning", "run", "--once", "--all"
        )
        adds = panel.calls["add"]
    assert adds == 4, done.stderr  # the parents, then their re-orders
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    named = {e["order"]: e["new_order"] for e in events if e["event"] == "reorder_answered"}
    assert set(named) == set(parents), done.stderr
    assert {e["level"] for e in events if e["event"] == "reorder_answered"} == {"warning"}
    (unrecorded,) = [e for e in events if e["event"] == "reorder_not_recorded"]
    assert named[unrecorded["order"]] == unrecorded["new_order"]

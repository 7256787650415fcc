"""A re-order the panel placed, abandoned mid-record by a stop (`run --once`
or the daemon, stopped, leaving once the stop passed its bound): the new order's
ID is in the log, and on the action row, before its record could be cut.

The record was the first thing after the panel's answer: the process left
while it waited for the database (another writer's lock), and the new
order, placed and paid for, was named nowhere: the action row stayed
Sending, no new ID, settled Unknown at the next start; no log line said
it. The real CLI, a simulated panel on loopback; the stop comes from the
process itself as the record begins, which then outlasts the stop's bound
(2 s here); nothing asserts how fast."""

from __future__ import annotations

import json
import sqlite3
import subprocess

from answered_cli import run_python
from simconfig import sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-ReorderCut42"
AUTOMATION = "[automation]\nreorder = true\nreorder_services = [1]\ndaily_cap = 100\n"
# The real CLI, a stop (SIGTERM) to itself as a re-order's record begins,
# which then outlasts the stop's bound: a write waiting on another's lock.
CUT_AT_RECORD = """
import os, signal, threading
from tracker.store import automation
def record_placed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    threading.Event().wait(60)
automation.record_placed = record_placed
from tracker.cli.main import main
main(prog_name="smm-tracker")
"""


def _run(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_python(tmp_path, KEY, *args)


def test_a_reorder_abandoned_mid_record_names_its_new_order(tmp_path):
    panel = SimulatedPanel(key=KEY, seed=7)
    with PanelServer(panel) as server:
        # Calls expected to answer: a deadline a loaded machine keeps.
        config = sim_config(
            server.url, database='busy_timeout = "1s"', panel='timeout = "30s"', json_logs=True
        )
        (tmp_path / "tracker.toml").write_text(config + AUTOMATION)
        add = ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "1000"]
        placed = _run(tmp_path, "-m", "tracker", *add)
        assert placed.returncode == 0, placed.stderr
        parent = int(placed.stdout)
        panel.pin(parent, "In progress")
        seen_open = _run(tmp_path, "-m", "tracker", "run", "--once", "--all")
        assert seen_open.returncode == 0, seen_open.stderr
        panel.pin(parent, "Partial")  # the next poll sees it end: re-ordered
        # The cut run's stop bound: the panel's timeout and the database's
        # busy_timeout, 6 s (its poll and re-order still answer well within 5 s).
        (tmp_path / "tracker.toml").write_text(
            config.replace('timeout = "30s"', 'timeout = "5s"') + AUTOMATION
        )
        done = _run(tmp_path, "-c", CUT_AT_RECORD, "run", "--once", "--all")
        adds = panel.calls["add"]
    assert done.returncode == 143, done.stderr
    assert "stop_overdue" in done.stderr and "left running jobs" in done.stderr
    assert adds == 2  # the parent, then its re-order
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    (said,) = [e for e in events if e.get("new_order") and e.get("order") == parent]
    new_id = said["new_order"]
    assert said["event"] == "reorder_answered"
    assert new_id != parent and panel.order(new_id).order_id == new_id  # placed there
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute(
            "SELECT order_id, status, new_order_id FROM automation_actions WHERE action = 'reorder'"
        ).fetchall()
    assert rows == [(parent, "Sending", new_id)]

"""A command whose stdin or stdout is closed (`<&-`, `>&-`), or whose working
directory was removed under it: one line naming the problem, never a
traceback, never a silent exit 0, and nothing placed that cannot be told."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest
from simconfig import SOURCE, cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Closed7Streams3Qx"


@pytest.fixture
def sim(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=3, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    assert cli("track", "101").exit_code == 0  # already stored, must survive
    yield panel, cli
    server.stop()


def shell(tmp_path, redirect: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``smm-tracker ARGS`` in a process of its own with ``redirect`` (e.g.
    ``<&-``) applied by sh; stderr captured."""
    script = f'exec "$@" {redirect}'
    return subprocess.run(
        ["sh", "-c", script, "sh", sys.executable, "-m", "tracker", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
        cwd=tmp_path,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args", [["track", "--panel", "sim", "-"], ["cancel", "--yes", "-"], ["untrack", "-"]]
)
def test_ids_from_a_closed_stdin_are_one_line(sim, tmp_path, args):
    panel, _ = sim
    done = shell(tmp_path, "<&-", *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "smm-tracker: cannot read order IDs from stdin: it is closed"
    ]
    assert panel.calls["cancel"] == 0


def test_add_with_stdout_closed_places_nothing_and_says_so(sim, tmp_path):
    # It placed and tracked the order, exit 0, its ID shown nowhere.
    panel, cli = sim
    add = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
    done = shell(tmp_path, ">&-", *add)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["smm-tracker: cannot write the output: stdout is closed"]
    assert panel.calls["add"] == 0
    assert [line.split()[1] for line in cli("orders").stdout.splitlines()[1:]] == ["101"]


@pytest.mark.parametrize("args", [["orders"], ["unit"], ["history", "101"], ["init", "-"]])
def test_any_command_with_stdout_closed_says_so(sim, tmp_path, args):
    done = shell(tmp_path, ">&-", *args)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["smm-tracker: cannot write the output: stdout is closed"]


def stored_balances(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return int(db.execute("SELECT count(*) FROM balances").fetchone()[0])


def test_run_once_with_stdout_closed_does_its_work_then_says_so(sim, tmp_path):
    # It exited 0, its summary lost: cron saw a run that said nothing, fine.
    panel, cli = sim
    assert cli("untrack", "101").exit_code == 0  # not on this panel: its poll would fail
    placed = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
    assert placed.exit_code == 0, placed.output
    done = shell(tmp_path, ">&-", "run", "--once")
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == "smm-tracker: cannot write the output: stdout is closed"
    assert stored_balances(tmp_path) == 1  # its work done and kept: the balance read,
    with sqlite3.connect(tmp_path / "t.db") as db:  # the new order polled
        checked = db.execute("SELECT last_checked_at FROM orders WHERE order_id != 101")
        assert [row[0] is not None for row in checked] == [True]
    assert cli("run", "--once").exit_code == 0  # the run after it: as ever


def test_the_daemon_runs_with_stdout_closed(sim, tmp_path):
    # Its logs go to stderr: a supervisor may well close its stdout.
    panel, cli = sim
    assert cli("untrack", "101").exit_code == 0  # not on this panel: its poll would fail
    daemon = subprocess.Popen(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "tracker", "run"],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SIM_KEY": KEY, "PYTHONPATH": SOURCE},
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 30
        while not ((tmp_path / "t.db").exists() and stored_balances(tmp_path)):
            assert daemon.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        daemon.terminate()
        _, stderr = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert daemon.returncode == 0, stderr
    assert "stdout is closed" not in stderr


@pytest.fixture
def gone(sim, tmp_path, monkeypatch):
    """The CLI run in a working directory removed under it."""
    _, cli = sim
    where = tmp_path / "gone"
    where.mkdir()
    monkeypatch.chdir(where)
    where.rmdir()
    return cli


@pytest.mark.parametrize(
    "args",
    [
        ["orders"],
        ["doctor"],
        ["track", "5"],
        ["--config", "x.toml", "orders"],
        ["simulate", "--port", "0"],
        ["--config", "{config}", "backup", "x.db"],
    ],
)
def test_a_removed_working_directory_is_one_line(gone, tmp_path, args):
    config = str(tmp_path / "tracker.toml")
    result = gone(*[config if a == "{config}" else a for a in args])
    assert result.exit_code == 2
    assert result.output.splitlines() == ["smm-tracker: the current directory no longer exists"]


def test_absolute_paths_work_without_a_working_directory(gone, tmp_path):
    config = str(tmp_path / "tracker.toml")
    listed = gone("--config", config, "orders")
    assert listed.exit_code == 0 and "101" in listed.stdout
    copy = gone("--config", config, "backup", str(tmp_path / "copy.db"))
    assert copy.exit_code == 0, copy.output
    assert (tmp_path / "copy.db").is_file()

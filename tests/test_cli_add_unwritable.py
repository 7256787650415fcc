"""`add` spends the user's money once sent (and `cancel` acts): a database that cannot take the
record (locked by another writer, immutable, read-only) is found before the
order goes out, in one line, and nothing is sent."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-AddUnwritable5Rq"
ORDER = ("add", "--service", "1", "--link", "https://x.example/a", "--quantity", "100")


@pytest.fixture
def sim(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=7, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url, database='busy_timeout = "1s"', panel='timeout = "5s"')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    assert cli("track", "373001").exit_code == 0  # the database exists, with one order
    yield panel, cli, tmp_path / "t.db"
    server.stop()


def _tracked(db) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT order_id FROM orders ORDER BY order_id")]


def _refused(result, words: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert words in lines[0] and lines[0].endswith("; nothing sent"), result.output
    assert "placed but not recorded" not in result.output


def test_a_database_another_writer_holds_is_refused_before_sending(sim):
    panel, cli, db = sim
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another process's write, held on
        result = cli(*ORDER)
    finally:
        other.close()
    _refused(result, f"database {db} is busy (another process holds a write lock)")
    assert panel.calls["add"] == 0
    assert _tracked(db) == [373001]
    assert cli(*ORDER).exit_code == 0  # the lock gone, the same order goes out and is kept
    assert panel.calls["add"] == 1 and len(_tracked(db)) == 2


def test_an_immutable_database_is_refused_before_sending(sim):
    panel, cli, db = sim
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(db)], capture_output=True).returncode:
        pytest.skip("chattr +i not permitted here")
    try:
        result = cli(*ORDER)
    finally:
        subprocess.run([chattr, "-i", str(db)], check=True)
    _refused(result, f"database {db} is read-only")
    assert panel.calls["add"] == 0
    assert _tracked(db) == [373001]


def test_cancel_to_a_database_another_writer_holds_is_refused_before_sending(sim):
    # The cancel went out and what the panel did was then not recorded.
    panel, cli, db = sim
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        result = cli("cancel", "--yes", "373001")
    finally:
        other.close()
    _refused(result, f"database {db} is busy (another process holds a write lock)")
    assert panel.calls["cancel"] == 0

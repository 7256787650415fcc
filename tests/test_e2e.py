"""End to end: the real CLI against the simulated panel over loopback HTTP."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from simconfig import PanelClock, cli_in, sim_config

from tracker.cli.main import main
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Zq8Jx1mN4pL0vR7t"


@pytest.fixture
def setup(tmp_path, monkeypatch):
    clock = PanelClock()
    panel = SimulatedPanel(key=KEY, clock=clock, seed=3, speed=60.0)
    server = PanelServer(panel).start()
    config = sim_config(
        server.url,
        panel='timeout = "5s"\nretry_budget = "5s"',
        schedule='status_every = "1m"\nstatus_max_every = "1m"',
    )
    cli = cli_in(
        tmp_path, monkeypatch, config, env={"SIM_KEY": KEY}, prefix=("--log-level", "debug")
    )
    yield panel, clock, cli, tmp_path
    server.stop()


@pytest.mark.parametrize("n", [1, 100, 250])
def test_n_orders_cost_ceil_n_over_100_status_calls(setup, n):
    panel, _clock, cli, _ = setup
    ids = panel.seed_orders(n)
    assert cli("track", *map(str, ids)).exit_code == 0
    panel.reset_counters()
    assert cli("run", "--once").exit_code == 0
    assert panel.calls["status"] == math.ceil(n / 100)


def test_every_status_change_appears_exactly_once(setup):
    panel, clock, cli, tmp_path = setup
    ids = panel.seed_orders(120, spread=200)
    cli("track", *map(str, ids))
    seen_final = set()
    for _ in range(40):  # each step: the panel moves on a minute, the tracker polls
        # --all: the tracker's own clock is real time, so nothing would be due yet.
        assert cli("run", "--once", "--all").exit_code == 0
        clock.now += 60
        rows = json.loads(cli("orders", "--json", "--limit", "1000").output)
        seen_final = {
            r["order_id"]
            for r in rows
            if r["status"] in ("Completed", "Partial", "Canceled", "Refunded")
        }
        if len(seen_final) == len(ids):
            break
    assert len(seen_final) == len(ids)
    db = sqlite3.connect(tmp_path / "t.db")
    for order_id in ids:
        steps = db.execute(
            "SELECT from_status, to_status FROM transitions WHERE order_id = ? ORDER BY id",
            (order_id,),
        ).fetchall()
        # A chain: starts from NULL, each row starts where the previous ended,
        # and no status change is recorded twice.
        assert steps[0][0] is None
        assert all(a[1] == b[0] for a, b in zip(steps, steps[1:], strict=False))
        assert all(a != b for a, b in steps)
        final = db.execute("SELECT status FROM orders WHERE order_id = ?", (order_id,))
        assert final.fetchone()[0] == panel.order(order_id).status


def test_add_places_one_order_and_tracks_it(setup):
    panel, _clock, cli, _ = setup
    result = cli("add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100")
    assert result.exit_code == 0
    order_id = int(result.output.strip())
    assert panel.calls["add"] == 1
    listed = json.loads(cli("orders", "--json").output)
    assert [r["order_id"] for r in listed] == [order_id]


def test_add_with_lost_answer_says_outcome_unknown_and_places_once(setup):
    panel, _clock, cli, _ = setup
    panel.inject("lost", count=1, action="add")
    result = cli("add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100")
    assert result.exit_code == 1
    assert "outcome unknown" in result.output and "check the panel" in result.output
    assert panel.order_count == 1 and panel.calls["add"] == 1


def test_add_refused_by_the_panel_is_one_line(setup):
    panel, _clock, cli, _ = setup
    result = cli("add", "--service", "999", "--link", "https://x.example/p", "--quantity", "10")
    assert result.exit_code == 1 and "Incorrect service ID" in result.output


def test_wrong_key_fails_run_once_without_showing_the_key(setup, monkeypatch):
    panel, _clock, cli, tmp_path = setup
    panel.seed_orders(3)
    cli("track", "23501", "23502")
    monkeypatch.setenv("SIM_KEY", "wrong-key-abcdefgh12345")
    result = cli("run", "--once")
    assert result.exit_code == 1
    assert "wrong-key-abcdefgh12345" not in result.output


def test_key_is_in_no_output_and_no_database_file(setup, capfd):
    panel, clock, cli, tmp_path = setup
    ids = panel.seed_orders(5)
    out = [cli("track", *map(str, ids)).output]
    for _ in range(3):
        out.append(cli("run", "--once", "--all").output)
        clock.now += 200
    out.append(cli("orders").output)
    out.append(cli("history", str(ids[0])).output)
    captured = capfd.readouterr()
    assert KEY not in "".join(out) + captured.out + captured.err
    for path in Path(tmp_path).glob("t.db*"):
        assert KEY.encode() not in path.read_bytes()


def test_demo_shows_orders_moving_through_statuses(tmp_path):
    args = f"demo --orders 3 --speed 1.5 --every 1 --duration 6 --keep {tmp_path / 'demo'}"
    result = CliRunner().invoke(
        main,
        args.split(),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "placed 3 orders" in result.output
    assert "(first seen) -> Pending" in result.output
    assert "Pending -> " in result.output  # moved on from its first status
    db = sqlite3.connect(tmp_path / "demo" / "demo.db")
    assert db.execute("SELECT count(*) FROM transitions").fetchone()[0] >= 6

"""Issue 12: everyday use through the real CLI against the simulated panel —
status filters that refuse typos, the run summary, global options anywhere,
and the small wording fixes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from simconfig import sim_config

from tracker.cli.main import main
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Every9Day3Use5Xy"


@pytest.fixture
def sim(tmp_path, monkeypatch):
    """Yield (panel, cli): a running simulator and an invoke() for a config using it."""
    panel = SimulatedPanel(key=KEY, seed=11, speed=60.0)
    server = PanelServer(panel).start()
    (tmp_path / "tracker.toml").write_text(sim_config(server.url, panel='timeout = "5s"'))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    runner = CliRunner()

    def cli(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    yield panel, cli
    server.stop()


# --- point 8: --status values -------------------------------------------------


def test_orders_unknown_status_is_a_usage_error_listing_the_valid_ones(sim):
    panel, cli = sim
    cli("track", *map(str, panel.seed_orders(2)))
    result = cli("orders", "--status", "Bogus")
    assert result.exit_code == 2
    assert "unknown status 'Bogus'" in result.output
    assert "'Completed'" in result.output and "'In progress'" in result.output
    assert "no orders" not in result.output


def test_orders_status_matches_any_case(sim):
    panel, cli = sim
    ids = panel.seed_orders(3, status="Completed")
    cli("track", *map(str, ids))
    assert cli("run", "--once", "--all").exit_code == 0
    for spelling in ("completed", "COMPLETED", "Completed"):
        rows = json.loads(cli("orders", "--json", "--status", spelling).output)
        assert sorted(r["order_id"] for r in rows) == sorted(ids), spelling


def test_refills_unknown_status_is_a_usage_error(sim):
    _panel, cli = sim
    result = cli("refills", "--status", "bogus")
    assert result.exit_code == 2
    assert "unknown status 'bogus'" in result.output
    assert "'Rejected'" in result.output and "'Refused'" in result.output
    assert cli("refills", "--status", "rejected").exit_code == 0
    assert cli("refills", "--status", "REFUSED").exit_code == 0

"""End to end: a self-hosted panel script without a ``balance`` action (it
answers it as it answers any action it lacks: api-v2.md's generic refusal)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simconfig import PanelClock, cli_in, sim_config

from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Nb7Qw2Lr5Tz9Xc3v"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A simulated panel lacking ``balance`` (and what else a test names), and
    the real CLI in a directory whose tracker.toml points at it."""
    servers: list[PanelServer] = []

    def make(*missing: str) -> Any:
        script = ScriptQuirks(missing_actions=("balance", *missing))
        panel = SimulatedPanel(key=KEY, clock=PanelClock(), seed=7, speed=60.0, script=script)
        servers.append(PanelServer(panel).start())
        config = sim_config(
            servers[-1].url,
            panel='timeout = "5s"\nretry_budget = "3s"',
            database='[refill]\nfirst_check = "0s"\ncooldown = "1s"\nunknown_service = "try"',
        )
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        return panel, cli

    yield make
    for server in servers:
        server.stop()


def test_refill_by_hand_on_a_panel_lacking_balance_and_refill_is_no_refused_key(world):
    # A fresh process: no earlier answer vouches for the key. Balance refused
    # in the refill's own words was taken for the key's refusal.
    panel, cli = world("refill")
    [order_id] = panel.seed_orders(1, status="Completed")
    assert cli("track", str(order_id), "--service", "1").exit_code == 0
    result = cli("refill", str(order_id))
    assert result.exit_code == 1
    assert "does not support refill" in result.output, result.output
    assert "key" not in result.output.lower()

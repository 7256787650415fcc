"""`history ID` of an open order whose panel was taken out of the config says
that nothing polls it.

Operator's week (ops210): after a reload that removed panel "slow", `orders`
noted its open orders as not polled, but `history ID`, the command one runs
about one order, showed "slow #ID: Pending" with no word of it: a status
frozen since the reload, read as the panel's latest. Through the real CLI
in-process against the simulated panel over loopback.
"""

from __future__ import annotations

import gc

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-LeftOut7History3"
# The url with a query the panel reads past: one url and key under two names
# is one account configured twice, which the config refuses.
SLOW = '[[panels]]\nname = "slow"\nurl = "URL?entry=slow"\nkey_env = "SIM_KEY"\n'


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """Yield (cli, sim's ID, slow's open ID, slow's untracked ID), "slow"
    then taken out of the config."""
    panel = SimulatedPanel(key=KEY, seed=3, speed=600.0)
    server = PanelServer(panel).start()
    config = sim_config(server.url)
    cli = cli_in(tmp_path, monkeypatch, config + SLOW.replace("URL", server.url))
    monkeypatch.setenv("SIM_KEY", KEY)
    first, second, third = panel.seed_orders(3)
    assert cli("track", "--panel", "sim", str(first)).exit_code == 0
    assert cli("track", "--panel", "slow", str(second), str(third)).exit_code == 0
    assert cli("run", "--once").exit_code == 0
    assert cli("untrack", "--panel", "slow", str(third)).exit_code == 0
    (tmp_path / "tracker.toml").write_text(config)  # "slow" leaves the config
    gc.collect()
    yield cli, first, second, third
    server.stop()


def test_history_of_an_open_order_of_a_panel_left_out_says_it_is_not_polled(setup):
    cli, _first, second, _third = setup
    shown = cli("history", str(second))
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith(f"slow #{second}: ")  # its last status, as before
    assert (
        f"(slow is not in the config: order {second} is not polled; its status is the last it "
        f"gave; add the panel back, or untrack it: smm-tracker untrack --panel slow {second})"
    ) in shown.stderr.splitlines()
    assert "not in the config" not in shown.stdout  # stdout holds data only


def test_history_says_nothing_of_it_where_it_is_not_so(setup, tmp_path):
    cli, first, _second, third = setup
    polled = cli("history", str(first))  # a configured panel's
    untracked = cli("history", "--panel", "slow", str(third))  # not polled anyway: said so
    (tmp_path / "tracker.toml").rename(tmp_path / "elsewhere.toml")  # `--database` alone:
    alone = cli("history", "--database", str(tmp_path / "t.db"), str(_second))  # none left out
    for result in (polled, untracked, alone):
        assert result.exit_code == 0, result.output
        assert "is not in the config" not in result.output
    assert "untracked by you" in untracked.output

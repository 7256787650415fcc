"""`run --once`'s summary when the balance was not fetched in this run (its
call failed, or the key was refused): the balance shown is the last stored,
and says so, "balance 100.00 USD (last stored)". It read as a figure just
read beside "failed jobs: ..., balance". A balance fetched says no more.
Through the real CLI in-process against the simulated panel."""

from __future__ import annotations

from simconfig import cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Stale4Balance9Rt"


def _summary(output: str) -> str:
    return [line for line in output.splitlines() if line.startswith("sim: ")][-1]


def test_a_balance_not_fetched_in_this_run_is_said_last_stored(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=5, speed=600.0)
    server = PanelServer(panel).start()
    try:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        fetched = cli("--log-level", "critical", "run", "--once")
        assert fetched.exit_code == 0, fetched.output
        assert _summary(fetched.stdout) == (
            "sim: 0 checked, 0 changed, 0 refills asked, balance 100.00 USD"
        )
        monkeypatch.setenv("SIM_KEY", "sim-key-Wrong8Key3Zz")  # refused: no balance read
        refused = cli("--log-level", "critical", "run", "--once")
        assert refused.exit_code == 1
        line = _summary(refused.stdout)
        assert line.startswith(
            "sim: 0 checked, 0 changed, 0 refills asked, balance 100.00 USD (last stored); "
        ), line
        assert "balance" in line.split("; ", 1)[1]  # the job named: failed, or paused
    finally:
        server.stop()

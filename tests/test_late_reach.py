"""A late check's failed call is not the panel failing: it holds no refill
round (and so fails no `run --once` through its refill job), as it fails
neither the poll nor any order.

Through the real CLI against the simulated panel (`late_refund` quirk), the
late checks' one status call timing out after the balance call answered, so
that it is the panel's last call when the refill round starts.
"""

from __future__ import annotations

import pytest
from simconfig import cli_in, sim_config
from test_late_visible import KEY, Clock, canceled, hours_later

from tracker.sim.scripts import quirks_from
from tracker.sim.server import PanelServer, SimulatedPanel


@pytest.fixture
def late(tmp_path, monkeypatch):
    """Yield (panel, clock, cli): a panel refunding ended orders 30 min after
    their end, whose "slow" answers outlast the config's 5 s timeout (its other
    calls, answered at once, a deadline a loaded machine keeps); refill
    rounds on (the default)."""
    clock = Clock()
    script = quirks_from(["late_refund=1800"])
    panel = SimulatedPanel(
        key=KEY, seed=5, speed=60.0, clock=clock, script=script, slow_seconds=10.0
    )
    server = PanelServer(panel).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    yield panel, clock, cli
    server.stop()


def test_a_late_checks_failed_call_holds_no_refill_round(late):
    panel, clock, cli = late
    canceled(panel, cli, 3)
    hours_later(clock, 1.5)
    # No open order: the late checks' call is the poll's only one; it times
    # out 5 s after the run's balance call answered.
    panel.inject("slow", count=1, action="status")
    run = cli("run", "--once")
    assert run.exit_code == 0, run.output
    last = run.stdout.strip().splitlines()[-1]
    assert last.endswith(", 3 late checks (3 failed)"), last
    assert "failed jobs" not in run.stdout
    assert "refill_round_held" not in run.stderr

"""An outage told once across `run --once` runs from cron, not once a run.

The log's "an outage is told once" lasted one process: under cron, each
run of a panel's outage wrote its ``status_failed``, ``services_failed``
and ``balance_failed`` errors again, a mail a minute at ``--log-level
warning`` (the alert went once). The run of failed calls an earlier run
left going is kept in ``alert_state`` (``panel_unreachable``'s, open or
counting): a run that finds one logs the outage's lines at debug, until
the panel answers a call; the next outage is told again. A panel's quirk
(PHP notices around the JSON) is told by the first run alone too
(tests/test_cron_quirks.py).
"""

from __future__ import annotations

import pytest
from simconfig import cli_in, sim_config

from tracker.sim.scripts import quirks_from
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Cron4Told7Once2"
OUTAGE = ("status_failed", "services_failed", "balance_failed")


@pytest.fixture
def cron(tmp_path, monkeypatch, request):
    """Yield (panel, run): a simulated panel, and `run --once --all` at
    ``--log-level warning`` of a config using it (no retries), returning
    (exit code, the outage's events its stderr names)."""
    script = quirks_from(getattr(request, "param", []))
    panel = SimulatedPanel(key=KEY, seed=11, quirks=False, script=script)
    with PanelServer(panel) as server:
        config = sim_config(server.url, panel="retries = 0")
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        ids = panel.seed_orders(3, status="In progress")
        assert cli("track", *map(str, ids)).exit_code == 0

        def run(level: str = "warning") -> tuple[int, list[str]]:
            ran = cli("--log-level", level, "run", "--once", "--all")  # every order asked
            events = (*OUTAGE, "panel_prints_notices")
            said = [e for line in ran.stderr.splitlines() for e in events if e in line]
            return ran.exit_code, sorted(said)

        yield panel, run


def test_a_panel_down_is_told_by_the_first_run_of_the_outage_alone(cron):
    panel, run = cron
    panel.inject("html502", count=10_000)  # every action: the panel is down
    assert run() == (1, sorted(OUTAGE))  # told
    assert run() == (1, [])  # the same outage: the failed jobs due again, said at debug
    assert run() == (1, [])
    panel.clear_faults()
    assert run() == (0, [])  # answered: the outage is over
    panel.inject("html502", count=10_000)
    assert run() == (1, sorted(OUTAGE))  # a new outage is told


@pytest.mark.parametrize("cron", [["notices=html"]], indirect=True)
def test_a_panel_printing_notices_is_told_by_the_first_run_alone(cron):
    # README, Run from cron: a panel's quirk is told once per panel across
    # runs (alert_state), not once a process: each run warned it, a mail a
    # minute at --log-level warning, for a panel that has always been so.
    panel, run = cron
    assert run() == (0, ["panel_prints_notices"])
    assert run() == (0, [])  # before: told again by every run
    assert run("error") == (0, [])

"""An outage told once across `run --once` runs from cron, not once a run.

The log's "an outage is told once" lasted one process: under cron, each
run of a panel's outage wrote its ``status_failed``, ``services_failed``
and ``balance_failed`` errors again, a mail a minute at ``--log-level
warning`` (the alert went once). The run of failed calls an earlier run
left going is kept in ``alert_state`` (``panel_unreachable``'s, open or
counting): a run that finds one logs the outage's lines at debug, until
the panel answers a call; the next outage is told again. A note told once
per process (PHP notices around the JSON) is a warning each run still,
which ``--log-level error`` leaves out, as README's "Run from cron" says.
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
def test_a_note_told_once_a_process_is_told_every_run_at_warning_not_at_error(cron):
    # README, Run from cron: what is told once per process, no outage, is
    # said by each run; --log-level error leaves it out. (This pins the
    # README's words: it passes on the code before logs16 too.)
    panel, run = cron
    assert run() == (0, ["panel_prints_notices"])
    assert run() == (0, ["panel_prints_notices"])  # a new process: told again
    assert run("error") == (0, [])

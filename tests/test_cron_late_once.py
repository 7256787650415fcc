"""A late check whose whole call fails, told once per run of such failures,
not once a poll.

A whole call failed (the panel down, a Cloudflare page, a timeout) burns no
late check: the order is asked again at the next poll, until a day past its
last moment. From cron (``--log-level warning run --once --due`` every
minute) each run warned ``late_check_failed`` again for the same orders and
the same failure: a mail a minute for up to two days after an order ended
Partial or Canceled, beside an outage told once. The run of failed late-check
calls is kept in ``alert_state`` (as a job's failing run: no alert): the
first failure at warning, the next ones at debug until a late check's call is
answered; then a new failure is warned of again.
"""

from __future__ import annotations

from typing import Any

import pytest
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)
from simconfig import LaterRuns, cli_in, sim_config

from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-Cron3Late8Once1Q"
H = 3600


@pytest.fixture
def cron(tmp_path, monkeypatch):
    """Yield (panel, later, run): a simulated panel with one order of ours
    that ended Partial (its late checks 1 h and 6 h after), and ``run
    --once --due`` returning the ``late_check_failed`` lines' levels."""
    panel = SimulatedPanel(key=KEY, seed=5, quirks=False)
    with PanelServer(panel) as server:
        config = sim_config(server.url, panel="retries = 0", schedule='late_checks = ["1h", "6h"]')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        later = LaterRuns(monkeypatch)
        assert cli("track", *map(str, panel.seed_orders(1, status="Partial"))).exit_code == 0
        assert cli("run", "--once", "--due").exit_code == 0  # seen ended: its late checks due

        def run(level: str = "debug") -> list[str]:
            ran = cli("--log-format", "json", "--log-level", level, "run", "--once", "--due")
            lines: list[dict[str, Any]] = json_entries(ran.stderr)
            return [e["level"] for e in lines if e.get("event") == "late_check_failed"]

        yield panel, later, run


@pytest.mark.usefixtures("fresh_logs")
def test_a_late_check_failing_run_after_run_is_warned_of_by_the_first_run_alone(cron):
    panel, later, run = cron
    later.advance(H + 60)  # the 1 h check due
    panel.inject("challenge", count=10**6, action="status")  # a Cloudflare page
    assert run() == ["warning"]
    later.advance(60)
    assert run() == ["debug"]  # the same run of failures: still said, below warning
    later.advance(60)
    assert run("warning") == []  # cron's mail: nothing of it
    panel.clear_faults()
    later.advance(60)
    assert run() == []  # answered: the run is over
    later.advance(5 * H)  # the 6 h check due
    panel.inject("json500", count=10**6, action="status")
    assert run() == ["warning"]  # a new run of failures is told
    later.advance(60)
    assert run() == ["debug"]


@pytest.mark.usefixtures("fresh_logs")
def test_a_late_check_given_up_is_warned_of_though_its_run_was_told(cron):
    # A day past its last moment the order's checks are given up (dropped):
    # a new fact, at warning, however long the panel has been failing.
    panel, later, run = cron
    later.advance(H + 60)
    panel.inject("challenge", count=10**6, action="status")
    assert run() == ["warning"]
    later.advance(60)
    assert run() == ["debug"]
    later.advance(6 * H + 24 * H)  # a day past the 6 h moment
    assert run() == ["warning"]

"""A first refusal of ``balance`` in a missing action's words is one log
line, ``balance_failed`` (error), saying it, and one of ``refill_status``
is ``refill_status_failed``: at ``--log-level debug`` a debug
``action_refused_once`` line said each again beside it."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import PanelClock, cli_in, sim_config

from tracker.cli.main import main
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "once-key-Bx4Lm8Qw2Zr6"


def test_a_first_balance_refusal_is_one_line_at_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    sim = SimulatedPanel(key=KEY, seed=5)
    sim.script = replace(sim.script, missing_actions=("balance",))
    with PanelServer(sim) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url, panel="retries = 0"))
        args = ["--log-level", "debug", "run", "--once", "--all"]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    # Every log line naming the refusal's words: the job's failure, once.
    assert _told(result.stderr) == [("error", "balance_failed")], result.stderr
    assert "action_refused_once" not in result.stderr, result.stderr


def test_a_first_refill_status_refusal_is_one_line_at_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = SimulatedPanel(key=KEY, clock=PanelClock(), seed=7, speed=60.0)
    with PanelServer(sim) as server:
        config = sim_config(
            server.url,
            panel='timeout = "5s"\nretry_budget = "3s"',
            database='[refill]\nfirst_check = "0s"\ncooldown = "1s"\nunknown_service = "try"',
        )
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        [order_id] = sim.seed_orders(1, status="Completed")
        assert cli("track", str(order_id), "--service", "1").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0  # its refill requested
        sim.script = ScriptQuirks(missing_actions=("refill_status",))
        result = cli("--log-level", "debug", "run", "--once", "--all")
    assert result.exit_code == 1, result.output  # that call's failure, nothing learned
    assert _told(result.stderr) == [("error", "refill_status_failed")], result.stderr
    assert "action_refused_once" not in result.stderr, result.stderr


def _told(stderr: str) -> list[tuple[str, str]]:
    """(level, event) of each log line naming the refusal's words."""
    found = (re.search(r"\[(\w+) *\] (\S+)", line) for line in stderr.splitlines())
    return [(m[1], m[2]) for m in found if m and "Incorrect request" in m.string]

"""A first refusal of ``balance`` in a missing action's words is one log
line, ``balance_failed`` (error), saying it: at ``--log-level debug`` a
debug ``action_refused_once`` line said it again beside it."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import sim_config

from tracker.cli.main import main
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
    found = (re.search(r"\[(\w+) *\] (\S+)", line) for line in result.stderr.splitlines())
    told = [(m[1], m[2]) for m in found if m and "Incorrect request" in m.string]
    assert told == [("error", "balance_failed")], result.stderr
    assert "action_refused_once" not in result.stderr, result.stderr

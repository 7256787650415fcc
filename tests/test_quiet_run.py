"""A `run --once` with nothing to report writes no info line: cron mails any
output, and a quiet run wrote six (poll_done, services_synced,
balance_checked, refill_follow_done, refill_round_done, stalls_checked)
saying nothing had changed. Those lines go at debug when nothing changed;
a change, a failure or a decision is still told at info or above."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import sim_config

from tracker.cli.main import main
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "quiet-key-Lp3Vx8Rt5Nw2"
QUIET = ("poll_done", "services_synced", "balance_checked", "refill_follow_done")
QUIET += ("refill_round_done", "stalls_checked")


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedPanel]:
    """A simulated panel whose orders do not move during the test, and a config for it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    sim = SimulatedPanel(key=KEY, seed=4, speed=3600.0)
    with PanelServer(sim) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url, panel="retries = 0"))
        yield sim


def run_once(*args: str) -> Result:
    result = CliRunner().invoke(main, ["run", "--once", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def logged(result: Result, level: str) -> list[str]:
    """The events of the log lines on stderr at ``level`` ("info", "debug"...)."""
    found = (re.search(r"\[(\w+) *\] (\S+)", line) for line in result.stderr.splitlines())
    return [m[2] for m in found if m and m[1] == level]


def test_a_quiet_run_once_writes_no_info_line(panel: SimulatedPanel, tmp_path: Path) -> None:
    ids = panel.seed_orders(3, status="In progress")
    assert CliRunner().invoke(main, ["track", *map(str, ids)]).exit_code == 0
    first = run_once()  # the orders first seen, the balance and the catalogue first read
    assert {"poll_done", "services_synced", "balance_checked"} <= set(logged(first, "info"))

    quiet = run_once()  # nothing due, nothing changed
    assert logged(quiet, "info") == [] and logged(quiet, "warning") == [], quiet.stderr
    assert quiet.stdout == "sim: 0 checked, 0 changed, 0 refills asked, balance 100.00 USD\n"

    db = sqlite3.connect(tmp_path / "t.db")  # the orders due again: asked, unchanged
    with db:
        db.execute("UPDATE orders SET next_check_at = '2000-01-01T00:00:00+00:00'")
    db.close()
    asked = run_once("--log-level", "debug")  # the lines are still there, at debug
    assert asked.stdout.startswith("sim: 3 checked, 0 changed")
    assert set(QUIET) <= set(logged(asked, "debug")), asked.stderr
    assert logged(asked, "info") == []

    panel.pin(ids[0], "Completed")  # a change: told at info
    db = sqlite3.connect(tmp_path / "t.db")
    with db:
        db.execute("UPDATE orders SET next_check_at = '2000-01-01T00:00:00+00:00'")
    db.close()
    changed = run_once()
    assert changed.stdout.startswith("sim: 3 checked, 1 changed")
    assert logged(changed, "info") == ["poll_done"], changed.stderr

    panel.set_balance("90.5")  # spent elsewhere: a new balance is told
    spent = run_once()
    assert spent.stdout.endswith("balance 90.50 USD\n")
    assert logged(spent, "info") == ["balance_checked"], spent.stderr

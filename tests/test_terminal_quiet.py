"""A one-off command that says its own outcome (`services --refresh`,
`refill ID`, `cancel`, `track`, `add`), on a terminal at the default level,
prints its sentence alone: the info line saying the same before it
(`services_synced`, `refill_requests_done`) is left out. Warnings and errors
are shown; `--log-level info` (or debug) shows the info lines again; piped
(scripts, cron, the journal) every line is written as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import terminal_sim

from tracker.cli import screen as screen_module
from tracker.cli.main import main
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "quiet-key-Wm3Rt8Yp5Nq2"


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedPanel]:
    with terminal_sim(tmp_path, monkeypatch, KEY) as sim:
        yield sim


def cli(monkeypatch: pytest.MonkeyPatch, *args: str, terminal: bool, code: int = 0) -> Result:
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: terminal)
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_services_refresh_on_a_terminal_prints_its_table_without_the_info_line(panel, monkeypatch):
    shown = cli(monkeypatch, "services", "--refresh", terminal=True)
    assert "services_synced" not in shown.stderr, shown.stderr
    assert "info" not in shown.stderr, shown.stderr
    assert "Instagram Likes" in shown.stdout


@pytest.mark.parametrize("asked", [["--log-level", "info"], ["--log-level", "debug"]])
def test_a_level_asked_shows_the_info_lines_on_a_terminal(panel, monkeypatch, asked):
    shown = cli(monkeypatch, *asked, "services", "--refresh", terminal=True)
    assert "info     services_synced panel=sim services=6" in shown.stderr, shown.stderr


def test_piped_the_info_lines_stay(panel, monkeypatch):
    shown = cli(monkeypatch, "services", "--refresh", terminal=False)
    assert "services_synced" in shown.stderr and "panel=sim" in shown.stderr, shown.stderr


def test_a_warning_is_shown_on_a_terminal(panel, monkeypatch):
    panel.script = ScriptQuirks(twice_listed=True)
    shown = cli(monkeypatch, "services", "--refresh", terminal=True)
    assert "warning  services_ambiguous panel=sim" in shown.stderr, shown.stderr
    assert "services_synced" not in shown.stderr, shown.stderr


def test_refill_on_a_terminal_says_its_sentence_alone(panel, monkeypatch):
    (order,) = panel.seed_orders(1, status="In progress")
    cli(monkeypatch, "track", str(order), terminal=False)
    shown = cli(monkeypatch, "refill", str(order), terminal=True, code=1)
    assert "refill_requests_done" not in shown.stderr, shown.stderr
    assert f"order {order}: the panel refused the refill" in " ".join(shown.stderr.split())
    piped = cli(monkeypatch, "refill", str(order), "--force", terminal=False, code=1)
    assert "refill_requests_done" in piped.stderr, piped.stderr

"""A panel refusing ``orders=`` in a status call while it reads ``order=``:
the first refusal is no news (the next poll tries ``orders=`` again), the
second learns statuses one order at a time and says so in one warning.

Before, ``multi_status_unsupported`` was warned at every refusal seen,
the first included, though nothing was learned from it (one refusal may
be a flaky panel's). Through the real CLI (`run --once` under cron) and a
daemon's polls (a Tracker polling twice), against the simulated panel.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import PanelClock, sim_config
from structlog.testing import capture_logs

from tracker.cli.main import main
from tracker.config.load import load_config
from tracker.jobs.tracker import Tracker
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "once-key-Hq7Zr3Mw9Tb2"
FIRST = "orders= refused once, tried again at the next poll"


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedPanel]:
    """A simulated panel reading ``order=`` alone, three orders tracked."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    sim = SimulatedPanel(key=KEY, clock=PanelClock(), seed=5, speed=60.0)
    with PanelServer(sim) as server:
        (tmp_path / "tracker.toml").write_text(sim_config(server.url, panel="retries = 0"))
        ids = sim.seed_orders(3, status="In progress")
        assert CliRunner().invoke(main, ["track", *map(str, ids)]).exit_code == 0
        sim.multi_status = False
        yield sim


def run_once() -> Result:
    result = CliRunner().invoke(main, ["run", "--once", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def lines(result: Result, event: str) -> list[tuple[str, str]]:
    """The (level, line) of each log line on stderr whose event is ``event``."""
    found = (re.search(r"\[(\w+) *\] (\S+)", line) for line in result.stderr.splitlines())
    return [(m[1], m.string) for m in found if m and m[2] == event]


def _learned(tmp_path: Path) -> list[tuple[int]]:
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        sql = "SELECT supported FROM panel_capabilities WHERE action = 'status_orders'"
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_run_once_warns_only_when_one_order_at_a_time_is_learned(
    panel: SimulatedPanel, tmp_path: Path
) -> None:
    first = run_once()  # refused once: nothing learned, no warning
    assert lines(first, "multi_status_unsupported") == [], first.stderr  # before: a warning
    [(level, line)] = lines(first, "multi_status_refused_once")
    assert level == "info" and FIRST in line and "Order not found." in line, line
    assert _learned(tmp_path) == []

    second = run_once()  # refused again: learned, said once
    [(level, line)] = lines(second, "multi_status_unsupported")
    assert level == "warning" and "Order not found." in line, line
    assert lines(second, "multi_status_refused_once") == [], second.stderr
    assert _learned(tmp_path) == [(0,)]

    third = run_once()  # known: asked one order at a time, nothing said
    assert lines(third, "multi_status_unsupported") == [], third.stderr
    assert lines(third, "multi_status_refused_once") == [], third.stderr


def test_a_daemon_warns_once_at_its_second_poll_refused(
    panel: SimulatedPanel, tmp_path: Path
) -> None:
    tracker = Tracker(load_config(str(tmp_path / "tracker.toml"), env={"SIM_KEY": KEY}))
    try:
        events = []
        for _poll in range(3):
            db = sqlite3.connect(tmp_path / "t.db")  # every order due again
            with db:
                db.execute("UPDATE orders SET next_check_at = '2000-01-01T00:00:00+00:00'")
            db.close()
            with capture_logs() as logs:
                assert tracker.poll("sim")
            told = ("multi_status_unsupported", "multi_status_refused_once")
            events.append([(e["event"], e["log_level"]) for e in logs if e["event"] in told])
    finally:
        tracker.close()
    assert events == [  # before: a warning at the first poll too
        [("multi_status_refused_once", "info")],
        [("multi_status_unsupported", "warning")],
        [],
    ]
    assert _learned(tmp_path) == [(0,)]


def test_a_first_orders_refusal_is_one_line_at_debug_too(panel: SimulatedPanel) -> None:
    # At --log-level debug a first orders= refusal was told twice: the info
    # line and refused_once's own debug line, action_refused_once. So was
    # balance's first refusal (here too) beside its balance_failed: each is
    # one line now (tests/test_refused_once_one_line.py).
    panel.script = replace(panel.script, missing_actions=("balance",))
    args = ["--log-level", "debug", "run", "--once", "--all"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert len(lines(result, "multi_status_refused_once")) == 1, result.stderr
    assert [level for level, _line in lines(result, "balance_failed")] == ["error"]
    assert lines(result, "action_refused_once") == [], result.stderr

"""A daemon restarted at a panel's new URL (stop, edit url, start; systemd
restarting the unit) begins its runs of failures anew there, as a reload
moving it does and as ``run --once`` does across runs: ``status_failing``'s
run of failed polls (and ``panel_unreachable``'s of failed calls) kept in
``alert_state`` at the old URL is the old URL's (restart151: the first
failure at the new URL alerted "for 20m"). The daemon keeps the URL it runs
at in the same ``run_url#`` row as ``run --once``, so a cron run after it
at its URL carries its run (restart151: begun anew, alerting a window late).

Each start is a Service's first generation built in-process (the daemon's
start path), against a scripted panel on loopback; the earlier runs' 20
minutes of failures written into ``alert_state`` as they left them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer
from simconfig import cli_in, sim_config
from test_cron_moved_runs import KEY, Panel, alerted, episode, failing_for_20_minutes, rows

from tracker.config.load import load_config
from tracker.errors import PanelError
from tracker.jobs.tracker import Tracker
from tracker.service import process
from tracker.service.notify import Notifier
from tracker.service.process import Service

pytestmark = pytest.mark.usefixtures("quick_backoff")


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield (start, stop, cron, panel, move, cli, db): start() starts the
    daemon (a Service's first generation) and returns its tracker, stopping
    the one started before, start(reload=True) reloads it instead; stop()
    stops it; cron() is `run --once --all`; move() gives the panel another
    URL (the same server, a trailing slash)."""
    panel, trackers, generations, services = Panel(), list[Tracker](), list[Any](), []

    class Kept(Tracker):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.everything = True  # each poll asks every open order
            trackers.append(self)

    monkeypatch.setattr(process, "Tracker", Kept)
    with HostileServer(panel) as server:
        extra = 'retries = 0\ntimeout = "30s"\n[refill]\nenabled = false'
        cli = cli_in(
            tmp_path, monkeypatch, sim_config(server.url, panel=extra), env={"SIM_KEY": KEY}
        )
        assert cli("track", "101").exit_code == 0
        path = tmp_path / "tracker.toml"

        def stop() -> None:
            while generations:
                generations.pop().close()

        def start(reload: bool = False) -> Tracker:
            config = load_config(str(path), env={"SIM_KEY": KEY})
            if not reload:
                stop()  # the one before: a restart
                services.append(Service(config, load=lambda: config, notifier=Notifier(None)))
            generations.append(services[-1]._build(config))
            return trackers[-1]

        def cron() -> str:
            ran = cli("--log-level", "warning", "run", "--once", "--all")
            assert "Traceback" not in ran.stderr and KEY not in ran.stderr
            return ran.stderr

        def move() -> None:
            path.write_text(path.read_text().replace(f'"{server.url}"', f'"{server.url}/"'))

        try:
            yield start, stop, cron, panel, move, cli, tmp_path / "t.db"
        finally:
            stop()


def poll(tracker: Tracker) -> None:
    """A poll of sim, then its balance job (as the daemon's jobs run them)."""
    tracker.poll("sim")
    with contextlib.suppress(PanelError):  # a panel down
        tracker.clients["sim"].balance()


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def test_a_restart_at_the_same_url_carries_the_run_and_alerts(daemon) -> None:
    start, _stop, _cron, _panel, _move, _cli, db = daemon
    poll(start())
    since = failing_for_20_minutes(db, "status_failing")
    poll(start())
    assert alerted(db) == ["status_failing"]
    assert episode(db, "status_failing") == (1, since)


def test_a_restart_at_a_new_url_begins_the_run_of_failed_polls_anew(daemon) -> None:
    start, _stop, _cron, _panel, move, cli, db = daemon
    poll(start())
    since = failing_for_20_minutes(db, "status_failing")
    move()
    began = now()
    poll(start())
    assert alerted(db) == []  # before: status_failing "for 20m" at once
    active, counted = episode(db, "status_failing")
    assert active == 0 and counted >= began and counted != since
    warned = [line for line in cli("doctor").output.splitlines() if line.startswith("warn panel")]
    assert warned and f"status polls have failed since {counted};" in warned[0]


def test_a_restart_at_a_new_url_begins_the_run_of_failed_calls_anew(daemon) -> None:
    start, _stop, _cron, panel, move, _cli, db = daemon
    panel.down = True
    poll(start())
    failing_for_20_minutes(db, "panel_unreachable")
    move()
    began = now()
    poll(start())
    assert alerted(db) == []  # before: panel_unreachable "for 20m" at once
    active, counted = episode(db, "panel_unreachable")
    assert active == 0 and counted >= began


def test_an_alert_open_at_the_old_url_stays_open_after_a_restart_there(daemon) -> None:
    start, _stop, _cron, _panel, move, _cli, db = daemon
    poll(start())
    since = failing_for_20_minutes(db, "status_failing")
    poll(start())  # alerted at the old URL
    move()
    poll(start())
    assert alerted(db) == ["status_failing"]  # no second alert
    assert episode(db, "status_failing") == (1, since)


def test_cron_after_the_daemon_at_its_url_carries_the_daemons_run(daemon) -> None:
    start, stop, cron, _panel, move, _cli, db = daemon
    cron()  # cron at the old URL: its run_url# kept there
    move()
    poll(start())  # the daemon at the new URL
    since = failing_for_20_minutes(db, "status_failing")
    stop()
    said = cron()  # cron at the daemon's URL
    assert alerted(db) == ["status_failing"]  # before: begun anew, alerted a window late
    assert episode(db, "status_failing") == (1, since)
    assert " status_failed " not in said  # the daemon's run going on: at debug


def test_the_daemon_keeps_its_url_once_not_at_each_poll(daemon) -> None:
    start, _stop, _cron, _panel, move, _cli, db = daemon
    tracker = start()
    kept = "SELECT kind, since FROM alert_state WHERE panel = 'sim' AND kind GLOB 'run_url#*'"
    [first] = rows(db, kept)
    poll(tracker)
    poll(tracker)
    assert rows(db, kept) == [first]
    move()
    start()
    [moved] = rows(db, kept)
    assert moved[0] != first[0]


def test_cron_after_a_reload_moving_the_panel_carries_the_daemons_run(daemon) -> None:
    start, stop, cron, _panel, move, _cli, db = daemon
    cron()  # cron at the old URL: its run_url# kept there
    start()
    move()
    poll(start(reload=True))  # the reload moving it: the daemon at the new URL
    since = failing_for_20_minutes(db, "status_failing")
    stop()
    cron()  # cron at the daemon's URL
    assert alerted(db) == ["status_failing"]
    assert episode(db, "status_failing") == (1, since)

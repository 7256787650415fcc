"""``run --once`` from cron, a new process every few minutes, against a panel
down altogether: ``panel_unreachable`` once the calls have failed for
``alerts.unreachable_after`` across the runs, then ``panel_recovered`` once.

Each run a new Tracker on the same database, jobs run once on an injected
clock, against the simulated panel over loopback HTTP (as
tests/test_status_failing.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.clock import iso
from tracker.config.load import config_from_dict
from tracker.config.model import Config
from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Episode
from tracker.rules.polling import STATUS_FAILING, judge_poll
from tracker.service.runs import run_once
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "sim-key-0123456789"


@pytest.fixture
def server(clock: Any) -> Iterator[PanelServer]:
    started = PanelServer(
        SimulatedPanel(clock=lambda: clock().timestamp(), key=KEY, quirks=False)
    ).start()
    yield started
    started.stop()


def make_config(tmp_path: Path, url: str) -> Config:
    data: dict[str, Any] = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": url, "key": KEY, "retries": 0, "timeout": "5s"}],
        "refill": {"enabled": False},
        "alerts": {"unreachable_after": "15m"},
    }
    return config_from_dict(data, base_dir=tmp_path, env={})


def cron_run(config: Config, clock: Any) -> list[dict[str, Any]]:
    """One ``run --once`` as cron starts it, a fresh process; the clock then
    moves on 5 minutes. Return every alert stored so far."""
    tracker = Tracker(config, clock=clock)
    with capture_logs():
        run_once(tracker.jobs())
    alerts = alerts_since(tracker.store, None)
    tracker.close()
    clock.advance(300)
    return alerts


def test_a_panel_down_across_cron_runs_is_unreachable_once_then_recovered(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    config = make_config(tmp_path, server.url)
    first = Tracker(config, clock=clock)
    first.store.track("main", server.panel.seed_orders(2, status="In progress"), clock())
    first.close()
    start = clock()
    server.panel.inject("json500", count=100_000)  # every action
    seen = [[a["kind"] for a in cron_run(config, clock)] for _ in range(6)]
    # Failing since minute 0: raised by the run at minute 15, once; before the
    # fix each run counted from its own first call and never got there (the
    # polls' status_failing said it instead, wrongly: "while balance answers").
    assert seen == [[], [], [], ["panel_unreachable"], ["panel_unreachable"], ["panel_unreachable"]]
    reader = Tracker(config, clock=clock)
    (alert,) = alerts_since(reader.store, None)
    reader.close()
    assert alert["message"].startswith("main: unreachable, every call has failed for 15m;")
    assert alert["data"]["since"] == start.isoformat(timespec="seconds")
    server.panel.clear_faults()
    kinds = [a["kind"] for a in cron_run(config, clock)]
    assert kinds == ["panel_unreachable", "panel_recovered"]
    assert [a["kind"] for a in cron_run(config, clock)] == kinds  # once


def test_a_run_failing_once_between_answers_never_alerts(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    """A run that fails, then one the panel answers: the count starts again,
    so two failing runs 15 minutes apart with an answer between say nothing."""
    config = make_config(tmp_path, server.url)
    first = Tracker(config, clock=clock)
    first.store.track("main", server.panel.seed_orders(2, status="In progress"), clock())
    first.close()
    for _ in range(3):
        server.panel.inject("json500", count=100_000)
        assert cron_run(config, clock) == []
        clock.advance(300)
        server.panel.clear_faults()
        assert cron_run(config, clock) == []
        clock.advance(300)


def test_a_run_after_a_night_asleep_counts_from_its_own_failure(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    """The laptop slept 8 hours after a failing run (cron ran nothing): the
    next failing run is no "unreachable for 8h"; the count starts there and
    the alert comes 15 minutes of failing runs later. (status_failing: see
    test_status_failing_after_a_night_asleep_counts_from_its_own_failed_poll.)"""
    config = make_config(tmp_path, server.url)
    first = Tracker(config, clock=clock)
    first.store.track("main", server.panel.seed_orders(2, status="In progress"), clock())
    first.close()
    server.panel.inject("json500", count=100_000)
    assert cron_run(config, clock) == []
    clock.advance(8 * 3600)
    runs = [cron_run(config, clock) for _ in range(4)]
    assert [unreachable(alerts) for alerts in runs] == [[], [], [], ["panel_unreachable"]]
    (alert,) = [a for a in runs[-1] if a["kind"] == "panel_unreachable"]
    assert alert["message"].startswith("main: unreachable, every call has failed for 15m;")


def test_status_failing_after_a_night_asleep_counts_from_its_own_failed_poll(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    """The status action fails while balance answers (no panel_unreachable):
    a failing run, 8 hours asleep, then failing runs 5 minutes apart. The
    count starts at the first failed poll after the night: status_failing
    comes 15 minutes of failing runs later, "for 15m"; before, the first
    run after the night raised it at once, "for 8h"."""
    config = make_config(tmp_path, server.url)
    first = Tracker(config, clock=clock)
    first.store.track("main", server.panel.seed_orders(2, status="In progress"), clock())
    first.close()
    server.panel.inject("json500", count=100_000, action="status")
    assert cron_run(config, clock) == []
    clock.advance(8 * 3600)
    woke = clock()
    runs = [[a["kind"] for a in cron_run(config, clock)] for _ in range(4)]
    assert runs == [[], [], [], ["status_failing"]]
    reader = Tracker(config, clock=clock)
    (alert,) = alerts_since(reader.store, None)
    reader.close()
    assert alert["message"].startswith(
        "main: status checks have left orders unchecked at every poll for 15m: "
    )
    assert alert["data"]["since"] == woke.isoformat(timespec="seconds")


def test_a_failed_poll_after_a_gap_without_polls_starts_the_count_again() -> None:
    """The rule, on moments given: the last failed poll stored in the
    episode; more than an hour (or twice the poll's interval, or twice
    unreachable_after, the longest) without one, the run is over."""
    t0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    failing = Episode(False, t0, t0 + timedelta(minutes=5))
    minutes = [(t0 + timedelta(minutes=m)) for m in (55, 66)]
    judged = [judge_poll(failing, True, now, 900.0, every=300.0) for now in minutes]
    # 50 minutes after the last failed poll: the same run (cron skipped some).
    assert judged[0] == (Episode(True, t0, minutes[0]), STATUS_FAILING)
    # 61 minutes: a night asleep, the tracker stopped: counted from now.
    assert judged[1] == (Episode(False, minutes[1], minutes[1]), None)
    # Polled every 2 hours: a gap under 4 hours is no gap.
    later = t0 + timedelta(hours=3, minutes=55)
    assert judge_poll(failing, True, later, 900.0, every=7200.0)[0].since == t0


def unreachable(alerts: list[dict[str, Any]]) -> list[str]:
    return [a["kind"] for a in alerts if a["kind"].startswith("panel_")]


def test_a_refill_round_held_across_cron_runs_names_when_the_outage_began(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    """The soak (cron16): a panel down for minutes, a cron run each minute.
    Once panel_unreachable was open, each run's refill_round_held said "its
    calls have failed since" that run's own first failure (07:23:30, then
    07:24:01...), the outage always just begun; it began when the episode did."""
    config = config_from_dict(  # make_config's, the refill round on
        {
            "database": {"path": str(tmp_path / "tracker.db")},
            "panels": [{"name": "main", "url": server.url, "key": KEY, "retries": 0}],
            "alerts": {"unreachable_after": "15m"},
        },
        base_dir=tmp_path,
        env={},
    )
    first = Tracker(config, clock=clock)
    first.store.track("main", server.panel.seed_orders(2, status="In progress"), clock())
    first.close()
    start = clock()
    server.panel.inject("json500", count=100_000)  # every action
    reasons = []
    for _ in range(6):  # minutes 0 to 25: the alert raised by the run at minute 15
        tracker = Tracker(config, clock=clock)
        with capture_logs() as logs:
            run_once(tracker.jobs())
        tracker.close()
        clock.advance(300)
        reasons += [e["reason"] for e in logs if e["event"] == "refill_round_held"]
    began = f"its calls have failed since {iso(start)}"  # as every log field's moment
    assert len(reasons) == 6 and all(r.startswith(began) for r in reasons), reasons

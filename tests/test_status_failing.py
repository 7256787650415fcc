"""``status_failing``: polls that leave orders unchecked at every run while the
panel answers otherwise say so once, and ``status_recovered`` when they stop.

A Tracker against the simulated panel over loopback HTTP, jobs driven
directly on an injected clock, as in tests/test_watch.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.config.model import Config
from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Episode
from tracker.rules.polling import STATUS_FAILING, STATUS_RECOVERED, judge_poll
from tracker.service.runs import run_once
from tracker.sim.orders import OrderView
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "sim-key-0123456789"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class OneOrderRefused(SimulatedPanel):
    """The simulator answering the orders in ``refused`` with an error item
    (a test gives it a dict of its own)."""

    refused: dict[int, str] = {}

    def _order_item(self, view: OrderView) -> dict[str, Any]:
        if view.order_id in self.refused:
            return {"error": self.refused[view.order_id]}
        return super()._order_item(view)


@pytest.fixture
def server(clock: Any) -> Iterator[PanelServer]:
    panel = OneOrderRefused(clock=lambda: clock().timestamp(), key=KEY, quirks=False)
    panel.refused = {}
    started = PanelServer(panel).start()
    yield started
    started.stop()


def make_config(tmp_path: Path, url: str) -> Config:
    data: dict[str, Any] = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": url, "key": KEY, "retries": 0, "timeout": "5s"}],
        "refill": {"enabled": False},
        "schedule": {"status_every": "5m", "balance_every": "5m"},
        "alerts": {"unreachable_after": "15m"},
    }
    return config_from_dict(data, base_dir=tmp_path, env={})


def kinds(tracker: Tracker) -> list[str]:
    return [row["kind"] for row in alerts_since(tracker.store, None)]


def runs(tracker: Tracker, clock: Any, count: int) -> list[tuple[int, list[str]]]:
    """Run every job ``count`` times, 5 minutes apart; return (minute, kinds so far)."""
    jobs, seen, start = tracker.jobs(), [], clock()
    with capture_logs():
        for _ in range(count):
            run_once(jobs)
            seen.append((round((clock() - start).total_seconds() / 60), kinds(tracker)))
            clock.advance(300)
    return seen


def test_status_answering_500_while_balance_works_alerts_once_then_recovers(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    tracker = Tracker(make_config(tmp_path, server.url), clock=clock)
    tracker.store.track("main", server.panel.seed_orders(3, status="In progress"), clock())
    server.panel.inject("json500", count=1000, action="status")
    start = clock()
    seen = runs(tracker, clock, 6)
    # Failing since minute 0; alerted at the first poll 15 minutes on, once.
    assert [m for m, k in seen if k] == [15, 20, 25]
    assert kinds(tracker) == [STATUS_FAILING]  # never panel_unreachable: balance answers
    (alert,) = alerts_since(tracker.store, None)
    assert alert["severity"] == "error" and alert["panel"] == "main"
    assert alert["message"].startswith(
        "main: status checks have left orders unchecked at every poll for 15m: status:"
    )
    assert alert["data"]["since"] == start.isoformat(timespec="seconds")
    server.panel.clear_faults()
    runs(tracker, clock, 2)
    assert kinds(tracker) == [STATUS_FAILING, STATUS_RECOVERED]
    last = alerts_since(tracker.store, None)[-1]
    assert last["message"] == "main: status checks work again after 30m of failed polls"
    tracker.close()


def test_one_order_refused_with_the_key_words_at_every_poll_is_not_silent(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    """One order's item says "Invalid API key" while the others answer: it is
    left unsettled at every poll (never blamed on the order); before, nothing
    but the log said so, however long it lasted."""
    tracker = Tracker(make_config(tmp_path, server.url), clock=clock)
    ids = server.panel.seed_orders(3, status="In progress")
    tracker.store.track("main", ids, clock())
    server.panel.refused = {ids[1]: "Invalid API key"}
    runs(tracker, clock, 5)
    assert kinds(tracker) == [STATUS_FAILING]
    (alert,) = alerts_since(tracker.store, None)
    assert "1 order left unsettled: key refused: Invalid API key" in alert["message"]
    assert KEY not in alert["message"]
    tracker.close()


def test_the_delay_counts_across_runs_of_separate_processes(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    """``run --once`` from cron: each run a new Tracker; the failing run's start
    is kept in alert_state, so the alert still comes 15 minutes on."""
    config = make_config(tmp_path, server.url)
    first = Tracker(config, clock=clock)
    first.store.track("main", server.panel.seed_orders(2, status="In progress"), clock())
    first.close()
    server.panel.inject("json500", count=1000, action="status")
    seen = []
    for _ in range(5):
        tracker = Tracker(config, clock=clock)
        seen.append(runs(tracker, clock, 1)[0][1])
        tracker.close()
    assert seen == [[], [], [], [STATUS_FAILING], [STATUS_FAILING]]


def test_a_panel_down_altogether_is_panel_unreachable_only(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    tracker = Tracker(make_config(tmp_path, server.url), clock=clock)
    tracker.store.track("main", server.panel.seed_orders(2, status="In progress"), clock())
    server.panel.inject("json500", count=1000)  # every action
    runs(tracker, clock, 8)
    assert kinds(tracker) == ["panel_unreachable"]
    tracker.close()


def test_judge_poll_raises_once_after_the_delay_and_never_while_explained() -> None:
    at = [T0 + timedelta(minutes=m) for m in range(0, 40, 5)]
    episode, raised = Episode(), []
    for now in at:
        episode, kind = judge_poll(episode, True, now, 900)
        raised.append(kind)
    assert raised == [None, None, None, STATUS_FAILING, None, None, None, None]
    assert episode.since == T0
    assert judge_poll(episode, False, at[-1], 900) == (Episode(), STATUS_RECOVERED)
    # Explained (unreachable, key refused): never raised, and not counted: a
    # run counts afresh from the first failed poll after the explanation
    # ends (it was counted through it: "for 35m" at the first failed poll).
    quiet = Episode()
    for now in at:
        quiet, kind = judge_poll(quiet, True, now, 900, explained=True)
        assert kind is None
    later = [at[-1] + timedelta(minutes=m) for m in range(5, 25, 5)]
    after = []
    for now in later:
        quiet, kind = judge_poll(quiet, True, now, 900)
        after.append(kind)
    assert after == [None, None, None, STATUS_FAILING]
    assert quiet.since == later[0]
    # A failing run that never alerted ends quietly at the first good poll.
    assert judge_poll(Episode(False, T0, None), False, at[1], 900) == (Episode(), None)


def test_a_poll_begun_while_unreachable_that_sees_the_panel_back_is_not_status_failing(
    tmp_path: Path, clock: Any, server: PanelServer
) -> None:
    """The soak's panel came back from a 4-minute outage in the middle of a
    poll: that poll's last failed call (made while unreachable) and its first
    answered one. The recovery closed panel_unreachable before the poll ended,
    and the poll's failures, unexplained once it had closed, raised
    status_failing at the very second of panel_recovered ("unchecked at every
    poll for 3m39s"), then status_recovered at the next poll. The failures of
    a poll begun while the panel was unreachable are that episode's."""
    config = config_from_dict(
        {
            "database": {"path": str(tmp_path / "tracker.db")},
            "panels": [
                {
                    "name": "main",
                    "url": server.url,
                    "key": KEY,
                    "retries": 0,
                    "timeout": "5s",
                    "max_batch": 1,
                    "concurrency": 1,
                }
            ],
            "refill": {"enabled": False},
            "schedule": {"status_every": "5m", "balance_every": "5m"},
            "alerts": {"unreachable_after": "15m"},
        },
        base_dir=tmp_path,
        env={},
    )
    tracker = Tracker(config, clock=clock)
    tracker.store.track("main", server.panel.seed_orders(2, status="In progress"), clock())
    server.panel.inject("json500", count=1000)  # every action: down altogether
    runs(tracker, clock, 5)
    assert kinds(tracker) == ["panel_unreachable"]
    server.panel.clear_faults()
    server.panel.inject("json500", count=1, action="status")  # the poll's first call
    with capture_logs():
        tracker.poll("main")  # one call fails, the other is answered: the panel is back
    assert kinds(tracker) == ["panel_unreachable", "panel_recovered"]
    clock.advance(300)
    with capture_logs():
        tracker.poll("main")  # every order checked: nothing more to say
    assert kinds(tracker) == ["panel_unreachable", "panel_recovered"]
    # Polls begun after the recovery that keep failing are the status checks' own.
    server.panel.inject("json500", count=1000, action="status")
    runs(tracker, clock, 6)
    assert kinds(tracker)[2:] == [STATUS_FAILING]
    tracker.close()

"""A run of failed calls counts from when its first failed call began, not
from when that call's retries and timeouts gave up.

Soak: a simulated panel killed (and SIGSTOPped), `unreachable_after = "30s"`:
`panel_unreachable` came 52-61 s after the panel went away, and
`panel_recovered` said "1m" for a real 1m16s, "52s" for 1m20s: the first
failed call's 15-30 s of retries were not counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable
from structlog.testing import capture_logs

from tracker.alerts.alerter import Alerter
from tracker.config.load import config_from_dict
from tracker.jobs.reach import Reach
from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Alert
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import alerts_since

START = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
REFUSED = "connection refused by 127.0.0.1:9"


def reach(clock: Resumable) -> tuple[Reach, list[Alert]]:
    """A panel's reachability on ``clock``, unreachable_after 30s, and the alerts it raised."""
    raised: list[Alert] = []
    sink = SimpleNamespace(send=raised.append)
    return Reach(clock, clock.monotonic, Alerter(None, sink, clock=clock), 30), raised


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


def test_a_call_failing_after_45s_of_retries_raises_at_its_end_since_its_start() -> None:
    clock = Resumable(START)
    watched, raised = reach(clock)
    watched.observe("p", "balance", True, 0.2, None)  # 23:00:00: the panel answers
    clock.advance(5)  # 23:00:05 the next call begins; the panel is gone
    clock.advance(45)  # its retries and timeouts
    watched.observe("p", "status", False, 45.0, REFUSED)  # 23:00:50
    (alert,) = raised
    assert alert.kind == "panel_unreachable"
    assert alert.message.startswith("p: unreachable, every call has failed for 45s;")
    assert alert.data["since"] == at(5)
    clock.advance(26)
    watched.observe("p", "status", True, 0.2, None)  # 23:01:16: answering again
    assert raised[1].message == "p: answering again after 1m11s unreachable"
    assert raised[1].data["since"] == at(5)


def test_another_call_answering_meanwhile_moves_the_start_after_its_answer() -> None:
    clock = Resumable(START)
    watched, raised = reach(clock)
    clock.advance(20)  # the status call began at 23:00:00; balance answers at 23:00:20
    watched.observe("p", "balance", True, 0.5, None)
    clock.advance(25)
    watched.observe("p", "status", False, 45.0, REFUSED)  # 23:00:45: failing for 25s only
    assert raised == []
    clock.advance(10)
    watched.observe("p", "balance", False, 8.0, REFUSED)  # 23:00:55, began 23:00:47
    (alert,) = raised
    assert alert.message.startswith("p: unreachable, every call has failed for 35s;")
    assert alert.data["since"] == at(20)


def test_a_failed_call_that_began_first_but_ended_later_moves_the_start_back() -> None:
    # Two workers: a poll began at 23:00:00 and failed after 40 s of retries;
    # a balance call began at 23:00:10 and failed at 23:00:12, first.
    clock = Resumable(START)
    watched, raised = reach(clock)
    clock.advance(12)
    watched.observe("p", "balance", False, 2.0, REFUSED)
    clock.advance(28)
    watched.observe("p", "status", False, 40.0, REFUSED)  # 23:00:40
    (alert,) = raised
    assert alert.data["since"] == at(0)


@pytest.mark.parametrize("step", [3600, -3600], ids=["set ahead", "set back"])
def test_a_clock_step_inside_the_call_counts_from_its_end_as_before(step: int) -> None:
    clock = Resumable(START)
    watched, raised = reach(clock)
    watched.observe("p", "balance", True, 0.2, None)  # the last look before the step
    clock.advance(20)
    clock.step(step)  # NTP or an operator, inside the failing call
    clock.advance(25)
    watched.observe("p", "status", False, 45.0, REFUSED)  # its start is of another clock
    clock.advance(29)
    watched.observe("p", "status", False, 5.0, REFUSED)  # 29 s after: not yet
    assert raised == []
    clock.advance(1)
    watched.observe("p", "status", False, 0.5, REFUSED)
    (alert,) = raised
    assert alert.data["since"] == at(45 + step)
    assert "failed for 30s;" in alert.message


@pytest.mark.parametrize("step", [3600, -3600], ids=["set ahead", "set back"])
def test_a_step_seen_by_another_call_inside_this_one_counts_from_after_it(step: int) -> None:
    # A poll began at 23:00:00; the clock was set an hour ahead (back) at
    # 23:00:10, which the balance call failing 5 s later saw; the poll fails after.
    clock = Resumable(START)
    watched, raised = reach(clock)
    watched.observe("p", "balance", True, 0.2, None)
    clock.advance(10)
    clock.step(step)
    clock.advance(5)
    watched.observe("p", "balance", False, 1.0, REFUSED)  # its look sees the step
    clock.advance(30)
    watched.observe("p", "status", False, 45.0, REFUSED)  # began before the step
    (alert,) = raised
    assert alert.data["since"] == at(15 + step)  # the balance call's end: as before
    assert "failed for 30s;" in alert.message


def test_a_sleep_inside_the_call_counts_from_its_end_as_before() -> None:
    clock = Resumable(START)
    raised: list[Alert] = []
    sink = SimpleNamespace(send=raised.append)
    alerter = Alerter(None, sink, clock=clock)
    watched = Reach(clock, clock.monotonic, alerter, 30, clock.boottime)
    watched.observe("p", "balance", True, 0.2, None)
    clock.advance(20)
    clock.sleep(8 * 3600)  # the laptop's lid closed inside the call
    clock.advance(25)
    watched.observe("p", "status", False, 45.0, REFUSED)  # 45 s on the monotonic clock
    assert raised == []
    clock.advance(30)
    watched.observe("p", "status", False, 1.0, REFUSED)
    (alert,) = raised
    assert alert.data["since"] == at(45 + 8 * 3600)


def test_a_reload_carries_the_last_answer_over() -> None:
    clock = Resumable(START)
    old, raised = reach(clock)
    clock.advance(20)
    old.observe("p", "balance", True, 0.5, None)  # 23:00:20, the status call in flight
    new = Reach(clock, clock.monotonic, old.alerter, 30)
    new.take_over(old)  # a SIGHUP
    clock.advance(25)
    old.observe("p", "status", False, 45.0, REFUSED)  # judged by the new generation
    assert raised == []  # failing since 23:00:20, not 23:00:00
    clock.advance(10)
    new.observe("p", "status", False, 1.0, REFUSED)
    (alert,) = raised
    assert alert.data["since"] == at(20)


# --- through the client: its retries' waits are the call's seconds ---------------


KEY = "sim-key-began-0123456789"


@pytest.fixture
def retried(tmp_path: Path) -> Iterator[tuple[Resumable, SimulatedPanel, Tracker]]:
    """A Tracker on a Resumable clock, ``retries`` 3, ``unreachable_after``
    30s, whose client's every attempt and the backoff wait after it take
    15 s on that clock (each attempt timing out, as the soak's did)."""
    clock = Resumable(START)
    panel = SimulatedPanel(key=KEY, clock=lambda: clock().timestamp(), quirks=False)
    server = PanelServer(panel).start()
    data = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": server.url, "key": KEY, "retries": 3}],
        "refill": {"enabled": False},
        "alerts": {"unreachable_after": "30s"},
    }
    config = config_from_dict(data, base_dir=tmp_path, env={})
    tracker = Tracker(config, clock=clock, monotonic=clock.monotonic)
    tracker.clients["main"]._sleep_fn = lambda _seconds: clock.advance(15)
    yield clock, panel, tracker
    tracker.close()
    server.stop()


@pytest.mark.usefixtures("fresh_logs")
def test_a_balance_call_whose_retries_outlast_unreachable_after_raises_at_its_end(
    retried: Any,
) -> None:
    clock, panel, tracker = retried
    balance = {job.name: job for job in tracker.jobs()}["balance:main"]
    with capture_logs():
        balance.run()  # 23:00:00: answered
        clock.advance(60)
        panel.inject("json500", count=4, action="balance")  # every attempt of the next call
        balance.run()  # 23:01:00 to 23:01:45: 3 waits of 15 s
    assert panel.calls["balance"] == 1 + 4
    assert clock() == START + timedelta(seconds=105)
    (row,) = alerts_since(tracker.store, None)
    assert row["kind"] == "panel_unreachable"
    assert row["data"]["since"] == at(60)
    assert "every call has failed for 45s;" in row["message"]

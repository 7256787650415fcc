"""panel_unreachable is judged on whole calls: a failed attempt that the
call's own retry then answers is no failure of the panel.

Found in a simulated month (a quiet night: no order due, a refill call lost
to a 502 at 02:40, the balance check's first attempt reset at 02:55 and its
retry answered): `panel_unreachable` ("every call has failed for 15m") and
`panel_recovered` ("answering again after 15m") in the same second.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "sim-key-retried-0123456789"


@pytest.fixture
def tracked(tmp_path: Path, clock: Any) -> Iterator[tuple[Tracker, SimulatedPanel]]:
    panel = SimulatedPanel(key=KEY, clock=lambda: clock().timestamp(), quirks=False)
    server = PanelServer(panel).start()
    data = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": server.url, "key": KEY, "retries": 2}],
        "refill": {"enabled": False},
        "alerts": {"unreachable_after": "15m"},
    }
    tracker = Tracker(config_from_dict(data, base_dir=tmp_path, env={}), clock=clock)
    tracker.clients["main"]._sleep_fn = lambda _seconds: None  # no backoff waits
    yield tracker, panel
    tracker.close()
    server.stop()


def kinds(tracker: Tracker) -> list[str]:
    return [row["kind"] for row in alerts_since(tracker.store, None)]


def balance_check(tracker: Tracker, clock: Any, panel: SimulatedPanel, failing: int) -> None:
    """Run the balance job with its first ``failing`` attempts answered HTTP 500."""
    job = {job.name: job for job in tracker.jobs()}["balance:main"]
    panel.inject("json500", count=failing, action="balance")
    with capture_logs():
        job.run()
    clock.advance(15 * 60)


def test_a_failed_attempt_its_retry_answers_raises_nothing(tracked: Any, clock: Any) -> None:
    tracker, panel = tracked
    balance_check(tracker, clock, panel, failing=3)  # every attempt failed: the run begins
    balance_check(tracker, clock, panel, failing=1)  # 15m on: one attempt failed, its retry ok
    balance_check(tracker, clock, panel, failing=1)
    assert kinds(tracker) == []
    assert panel.calls["balance"] == 3 + 2 + 2


def test_a_call_whose_every_attempt_fails_still_counts(tracked: Any, clock: Any) -> None:
    tracker, panel = tracked
    balance_check(tracker, clock, panel, failing=3)
    balance_check(tracker, clock, panel, failing=3)  # 15m of failed calls
    assert kinds(tracker) == ["panel_unreachable"]
    balance_check(tracker, clock, panel, failing=1)  # answered at the retry
    assert kinds(tracker) == ["panel_unreachable", "panel_recovered"]
    rows = alerts_since(tracker.store, None)
    assert rows[1]["message"] == "main: answering again after 30m unreachable"

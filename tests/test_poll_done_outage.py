"""During an outage ``poll_done`` is at info until an alert says the polls
fail, then at debug: the open ``status_failing`` (or ``panel_unreachable``)
already says it, and ``status_failed`` is told once. Operator's week
(reload141): a panel down all night wrote ``poll_done`` at info every poll,
12 lines an hour a panel at the default 5 minutes. A poll that changes a
status is still at info, and once the alert ends a failed poll is again.

A Tracker on a clock of the test's own against a scripted panel on loopback
whose balance answers (reachable) while its status calls fail or answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "poll-done-key-Zx8Cv5Bn2M"
ORDER = 23501


class Panel:
    """Balance answered; status calls fail, or answer ``status``."""

    def __init__(self) -> None:
        self.status: str | None = None  # None: a 500

    def __call__(self, form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "5.00", "currency": "USD"})
        if form.get("action") != "status":
            return json_reply([])
        if self.status is None:
            return json_reply({"error": "Internal Server Error"}, 500)
        return json_reply({str(ORDER): {"status": self.status, "remains": "5"}})


@pytest.fixture
def polled(tmp_path: Path) -> Iterator[Any]:
    """Yield (poll, panel): poll() polls the panel 5 minutes after the last
    poll and returns its ``poll_done`` line's level."""
    clock, panel = Resumable(datetime(2026, 12, 7, 9, 0, tzinfo=UTC)), Panel()
    with HostileServer(panel) as server:
        config = config_from_dict(
            {
                "database": {"path": str(tmp_path / "t.db")},
                "panels": [{"name": "p", "url": server.url, "key": KEY, "retries": 0}],
                "refill": {"enabled": False},
                "alerts": {"unreachable_after": "15m"},
            },
            base_dir=tmp_path,
            env={},
        )
        tracker = Tracker(config, clock=clock, monotonic=clock.monotonic)
        tracker.everything = True
        tracker.store.track("p", [ORDER], clock())

        def poll() -> str:
            with capture_logs() as logs:
                tracker.poll("p")
                tracker.clients["p"].balance()
            clock.advance(300)
            [done] = [e["log_level"] for e in logs if e["event"] == "poll_done"]
            return done

        try:
            yield poll, panel
        finally:
            tracker.close()


def test_poll_done_is_at_debug_while_status_failing_says_the_polls_fail(polled) -> None:
    poll, panel = polled
    # 09:00 to 09:15: failing, not said yet; 09:15 raises status_failing.
    assert [poll() for _ in range(4)] == ["info"] * 4
    assert [poll() for _ in range(3)] == ["debug"] * 3  # before: info at every poll
    panel.status = "In progress"
    assert poll() == "info"  # a status changed: the poll that ends it
    panel.status = None
    assert poll() == "info"  # a new run of failures, no alert open

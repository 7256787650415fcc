"""One outage told once, whatever the size of each batch it failed (soak53).

Against a flaky panel answering ``{}`` to status calls, or refusing every
order asked, each failed batch's ``status_failed`` names how many orders it
left: "answered none of the 100 asked IDs", "50 orders left unsettled". The
count made the same failure a new one: a poll of 250 orders logged it at
error once per batch size, and the next poll again. The count is no part of
what failed: the first line at error, the rest of the spell at debug."""

from __future__ import annotations

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _told(w) -> list[tuple[str, str]]:
    with capture_logs() as logs:
        assert w.tracker.poll("sim") is False
    return [(e["log_level"], e["error"]) for e in logs if e["event"] == "status_failed"]


def test_an_empty_answer_to_batches_of_every_size_is_told_once(world, clock):
    w = world()
    ids = w.panel.seed_orders(250, status="In progress")  # batches of 100, 100 and 50
    w.store.track("sim", ids, clock())
    w.panel.inject("empty", count=1000, action="status")
    first, second = _told(w), _told(w)
    sizes = {error for _, error in first}
    assert len(sizes) >= 2, first  # the same failure, told of batches of two sizes
    assert [level for level, _ in first] == ["error"] + ["debug"] * (len(first) - 1), first
    assert {level for level, _ in second} == {"debug"}, second  # the same spell

"""The wall clock set back between two refill rounds: the cooldown of a
request stamped ahead of the clock counts from when the tracker sees it, never
from a moment the clock has yet to reach."""

from __future__ import annotations

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY, H
from structlog.testing import capture_logs


@pytest.mark.usefixtures("fresh_logs")
def test_a_clock_set_back_ten_days_delays_the_next_refill_by_a_cooldown_not_ten_days(world):
    # The next request waited for the clock to reach the first one's stamp
    # plus the cooldown: ten days set back held the order ten days more,
    # a third of its 30-day guarantee.
    w = world()
    (order,) = w.dropped(1)
    w.clock.advance(10 * DAY)
    assert w.round()
    w.clock.advance(2 * H)
    w.round()
    assert [r["status"] for r in w.requests(order)] == ["Completed"]
    w.clock.advance(-10 * DAY)
    real, sent_at = 0.0, None
    with capture_logs() as logs:
        while real < 3 * DAY and sent_at is None:
            w.clock.advance(6 * H)
            real += 6 * H
            w.panel.drop(order, 30)
            w.round()
            if len(w.requests(order)) > 1:
                sent_at = real
    # Asked again about a cooldown after the step was seen, never inside a
    # cooldown of the first request in real time.
    assert sent_at is not None and 1 * DAY <= sent_at <= 2 * DAY, sent_at
    said = [e for e in logs if e["event"] == "refill_requests_restamped"]
    assert [(e["log_level"], e["requests"]) for e in said] == [("warning", 1)]

"""An outage told once in the log, not once per call, batch and poll (soak10).

Two panels, one stopped or refusing connections: each poll of the dead one
logged a ``status_failed`` error per batch of 100 orders, the same words 8
times a poll, every poll of the outage (24 lines in 80 s, besides the alert
that said it once). The first failure of a spell is logged at error; the same
failure again, in the same poll or the next, at debug; a poll that succeeds
ends the spell.
"""

from __future__ import annotations

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _levels(w, event: str = "status_failed") -> tuple[bool, list[str]]:
    """Poll once; return whether it succeeded and the levels ``event`` was logged at."""
    with capture_logs() as logs:
        ok = w.tracker.poll("sim")
    return ok, [e["log_level"] for e in logs if e["event"] == event]


def test_a_failing_panel_is_told_once_a_spell_not_once_per_batch_and_poll(world, clock):
    w = world()
    ids = w.panel.seed_orders(250, status="In progress")  # three batches of at most 100
    w.store.track("sim", ids, clock())
    w.panel.inject("json500", count=1000, action="status")
    ok, levels = _levels(w)
    assert not ok and levels[0] == "error" and set(levels[1:]) == {"debug"}, levels
    ok, levels = _levels(w)
    assert not ok and levels and set(levels) == {"debug"}, levels  # the same outage
    w.panel.clear_faults()
    assert _levels(w) == (True, [])
    w.panel.inject("json500", count=1000, action="status")
    ok, levels = _levels(w)
    assert not ok and levels[0] == "error", levels  # a new spell is told again

"""A refusal for good ("Refill is disabled for this service") stops an order's
automatic refill requests, visibly (`refills` says "(for good)", a
`refill_rejected` alert). Once the panel takes a request of it again (the
service's refill enabled again on the panel, and `smm-tracker refill ID
--force` accepted), the refusal is over: the rounds ask for the order again.

Before, the refusal held for ever whatever the panel did since: a service whose
refill the panel switched off for a day lost every one of its orders' automatic
refills, and only SQL gave them back. Real Tracker and CLI against the simulated
panel; the jobs run by hand, the clock moved by the test."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FakeClock
from refill_world import DAY, H

from tracker.sim.catalogue import SERVICE_FOLLOWERS
from tracker.sim.panel import SimRefusal
from tracker.sim.server import SimulatedPanel


class SwitchedPanel(SimulatedPanel):
    """Refuses every refill as a service without refill while ``disabled``."""

    disabled = False

    def _refill(self, form: Mapping[str, str], now: float):
        if self.disabled:
            raise SimRefusal("Refill is disabled for this service")
        return super()._refill(form, now)


@pytest.fixture
def clock() -> FakeClock:
    # The CLI stamps its request with the real clock: the test's reaches it
    # (two days on) when the CLI runs.
    return FakeClock(datetime.now(UTC) - timedelta(days=2))


def test_a_request_the_panel_takes_again_ends_a_refusal_for_good(world):
    w = world(panel_class=SwitchedPanel)
    w.sync_services()
    order_id = w.order(SERVICE_FOLLOWERS)
    w.poll()
    w.clock.advance(DAY)
    w.panel.disabled = True
    assert w.round()
    assert [(r["status"], r["permanent"]) for r in w.requests(order_id)] == [("Refused", 1)]
    w.clock.advance(DAY)
    assert w.round()
    assert w.panel.calls["refill"] == 1  # refused for good: not asked again

    w.panel.disabled = False  # the panel enables the service's refill again
    forced = w.cli("refill", str(order_id), "--force")
    assert forced.exit_code == 0, forced.output
    assert w.panel.calls["refill"] == 2
    w.clock.advance(H)
    assert w.round()  # follows the manual refill to its end
    w.clock.advance(2 * DAY)
    assert w.round()  # the cooldown over: the round asks again
    assert w.panel.calls["refill"] == 3
    assert [r["source"] for r in w.requests(order_id)] == ["auto", "manual", "auto"]

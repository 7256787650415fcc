"""The refill cooldown counts from the panel's answer, not from the moment the
request was recorded before it left: the panel's own cooldown counts from when
it received the request, later by the call's time (the rate limit, the other
orders of a batch asked one at a time before it). Against the simulated panel,
whose cooldown between two requests of an order is a day, as refill.cooldown's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from refill_world import DAY, H, World

from tracker.clock import parse_iso
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel

LAG = 2.0  # seconds between the request being recorded and the panel receiving it


class LaggyPanel(SimulatedPanel):
    """Receives each ``refill`` call ``lag`` seconds after it was sent (the
    shared fake clock moves on by that much before the panel acts)."""

    lag = LAG
    fake: Any = None

    def _refill(self, form: Mapping[str, str], now: float):
        if self.lag:
            self.fake.advance(self.lag)
        return super()._refill(form, now + self.lag)


def test_a_round_at_the_cooldowns_end_is_not_refused_for_the_panels_own_cooldown(world):
    # The request was stamped LAG seconds before the panel got it: the round a
    # cooldown after the stamp asked again, the panel refused it ("You are not
    # eligible to send refill request.": its day was not over), and the order
    # waited a whole further cooldown for its next request.
    w: World = world(panel_class=LaggyPanel)
    w.panel.fake = w.clock
    w.sync_services()
    order = w.order(SERVICE_FOLLOWERS)
    w.poll()
    w.clock.advance(DAY)
    w.panel.drop(order, 30)
    sent = w.clock()
    assert w.round()
    (first,) = w.requests(order)
    assert first["status"] == "Pending"
    # Stamped when the panel answered: no earlier than it received the request.
    assert parse_iso(first["requested_at"]) == sent + timedelta(seconds=LAG)
    w.clock.advance(H)
    assert w.round()
    assert w.requests(order)[0]["status"] == "Completed"
    w.panel.drop(order, 30)  # dropped again
    w.panel.lag = 0.0
    w.clock.advance((sent + timedelta(days=1) - w.clock()).total_seconds())  # at the stamp + a day
    assert w.round()
    assert w.panel.calls["refill"] == 1  # not asked: the panel's day is not over
    w.clock.advance(H / 2)  # the next round
    assert w.round()
    assert w.panel.calls["refill"] == 2
    assert [r["status"] for r in w.requests(order)] == ["Completed", "Pending"]

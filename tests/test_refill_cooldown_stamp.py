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


def test_an_answer_within_a_second_is_stamped_no_earlier_than_the_panel_got_it(world):
    # Soak36: refill rounds every 40 s at .3 s past the second, refill.cooldown
    # the panel's own 120 s. The answer came at :44.35 and was stored as :44
    # (requested_at holds whole seconds): the round 120 s after the request,
    # at :44.3, was a cooldown past the stamp but 119.95 s after the panel got
    # the request: 86 requests refused "You are not eligible to send refill
    # request." in 25 minutes, each order waiting a further cooldown.
    w: World = world(panel_class=LaggyPanel)
    w.panel.fake, w.panel.lag = w.clock, 0.05
    w.sync_services()
    order = w.order(SERVICE_FOLLOWERS)
    w.poll()
    w.clock.advance(DAY + 0.3)  # a round a fraction of a second past the second
    w.panel.drop(order, 30)
    sent = w.clock()
    assert w.round()
    (first,) = w.requests(order)
    assert parse_iso(first["requested_at"]) >= sent + timedelta(seconds=0.05)  # rounded up
    w.clock.advance(H)
    assert w.round()
    w.panel.drop(order, 30)  # dropped again
    w.panel.lag = 0.0
    w.clock.advance((sent + timedelta(days=1) - w.clock()).total_seconds())  # a day after sending
    assert w.round()
    assert w.panel.calls["refill"] == 1  # not asked: the panel's day is not over
    assert [r["status"] for r in w.requests(order)] == ["Completed"]


def test_a_request_answered_within_a_second_is_updated_no_earlier_than_requested(world):
    # `refills` listed REQUESTED 13:55:43, UPDATED 13:55:42 for a refill the
    # panel answered at once: the request rounded up, its update cut down.
    w: World = world()
    w.sync_services()
    order = w.order(SERVICE_FOLLOWERS)
    w.poll()
    w.clock.advance(DAY + 0.6)
    w.panel.drop(order, 30)
    assert w.round()
    (first,) = w.requests(order)
    assert first["status"] == "Pending"
    assert parse_iso(first["updated_at"]) >= parse_iso(first["requested_at"]) >= w.clock()


def test_a_refill_followed_within_the_second_of_its_request_is_never_updated_before_it(world):
    # requested_at is the answer's whole second, rounded up; the round's
    # follow within that second stamped updated_at unrounded: `refills`
    # listed a request UPDATED 21:30:28 and REQUESTED 21:30:29.
    w: World = world()
    w.sync_services()
    order = w.order(SERVICE_FOLLOWERS)
    w.poll()
    w.clock.advance(DAY + 0.25)  # a quarter into a second
    w.panel.drop(order, 30)
    assert w.round()
    w.clock.advance(0.5)  # the same second: before the request's rounded-up stamp
    w.round()
    (row,) = w.requests(order)
    assert parse_iso(row["updated_at"]) >= parse_iso(row["requested_at"]), row
    changes = w.store.conn.execute("SELECT at FROM refill_changes").fetchall()
    assert all(parse_iso(at) >= parse_iso(row["requested_at"]) for (at,) in changes), changes

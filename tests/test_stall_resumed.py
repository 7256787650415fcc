"""One stall, one ``order_stalled``: across an order lost or untracked, then
resumed by ``smm-tracker track ID``.

The stall watch dropped the watch row of an order that stopped being polled,
so a stalled order given up on (or untracked) and resumed looked new to it:
its unchanged stall was found again and told again, days later, for an order
nothing happened to. A stopped order now keeps its open stall episode; resumed
unchanged it is not told again (nor cancelled again by the automation), and
one that moved while stopped ends its episode as any stalled order does.

Against the simulated panel (tests/refill_world.py), the poll and the
automation job run every 10 minutes as the daemon runs them.
"""

from __future__ import annotations

import json

import pytest
from refill_world import DAY, H, World

from tracker.sim.orders import OrderView, SimRefusal
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel
from tracker.store import automation as automation_sql
from tracker.store.alerts import alerts_since

STEP = 600.0  # [automation] every default: 10 minutes
CANCEL = 'cancel_pending = true\ncancel_pending_after = "13h"\n'


class ForgetfulPanel(SimulatedPanel):
    """Calls the orders in ``forgotten`` unknown (a panel that lost them for a
    while), and refuses every cancel: a stale Pending stays Pending."""

    forgotten: frozenset[int] = frozenset()

    def _lookup(self, token: str, now: float) -> OrderView | None:
        view = super()._lookup(token, now)
        return None if view is not None and view.order_id in self.forgotten else view

    def _cancel_one(self, token: str, now: float) -> int:
        raise SimRefusal("This order cannot be canceled")


def run(w: World) -> None:
    assert w.jobs["automation:sim"].run()


def cycles(w: World, hours: float) -> None:
    for _ in range(int(hours * H / STEP)):
        w.clock.advance(STEP)
        w.poll()
        run(w)


def kinds(w: World, kind: str) -> list[dict]:
    rows = sorted(alerts_since(w.store, None, limit=100), key=lambda a: a["id"])
    return [a for a in rows if a["kind"] == kind]


def stalled_listing(w: World) -> list[dict]:
    return json.loads(w.cli("orders", "--stalled", "--json").stdout or "[]")


def stalled_pending(world) -> tuple[World, int, str]:
    """A Pending order that stalls (12h unchanged), then is stale enough for the
    automation's cancel, which the panel refuses; return the world, the order
    and when its episode began."""
    w = world(automation=CANCEL, panel_class=ForgetfulPanel)
    w.sync_services()
    stuck = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    run(w)
    cycles(w, 14)
    assert len(kinds(w, "order_stalled")) == 1
    assert [(a["order_id"], a["status"]) for a in automation_sql.actions(w.store)] == [
        (stuck, "Refused")
    ]
    [listed] = stalled_listing(w)
    return w, stuck, listed["stalled_at"]


def lose(w: World, order_id: int, how: str) -> None:
    """Stop polling the order: ``untrack``, or the panel calling it unknown past
    ``schedule.unknown_give_up`` (3d); the watch passes while it is stopped."""
    if how == "untrack":
        assert w.cli("untrack", str(order_id)).exit_code == 0
    else:
        w.panel.forgotten = frozenset({order_id})
        w.clock.advance(STEP)
        w.poll()  # unknown: asked again later
        run(w)
        w.clock.advance(3 * DAY)
        w.poll()  # unknown for 3 days: given up
        assert len(kinds(w, "order_lost")) == 1
        w.panel.forgotten = frozenset()
    cycles(w, 1)
    row = w.store.order("sim", order_id)
    assert not row["polling"] and row["stopped_by"] == ("user" if how == "untrack" else "panel")
    assert stalled_listing(w) == []  # not polled: not listed stalled


def resume(w: World, order_id: int) -> None:
    result = w.cli("track", str(order_id))
    assert result.exit_code == 0, result.output
    assert w.store.order("sim", order_id)["polling"]


@pytest.mark.parametrize("how", ["untrack", "given up"])
def test_a_stalled_order_resumed_unchanged_is_not_told_stalled_again(world, how):
    w, stuck, since = stalled_pending(world)
    lose(w, stuck, how)
    resume(w, stuck)
    cycles(w, 2)  # polled again: the panel confirms it Pending, unchanged
    assert len(kinds(w, "order_stalled")) == 1  # the one stall, told once
    assert kinds(w, "order_moving") == []
    # The same episode carries on: listed stalled since it first stalled.
    assert [(o["order_id"], o["stalled_at"]) for o in stalled_listing(w)] == [(stuck, since)]
    # The automation does not act twice on it either: one cancel, ever.
    assert w.panel.calls["cancel"] == 1
    assert [(a["order_id"], a["action"]) for a in automation_sql.actions(w.store)] == [
        (stuck, "cancel")
    ]

    w.panel.pin(stuck, "In progress")  # the provider starts at last
    cycles(w, 1)
    [moving] = kinds(w, "order_moving")
    assert moving["data"]["orders"][0]["order_id"] == stuck
    assert "is moving again" in moving["message"]
    assert stalled_listing(w) == []


@pytest.mark.parametrize("how", ["untrack", "given up"])
@pytest.mark.parametrize(
    ("status", "told"),
    [
        ("In progress", "is moving again (In progress"),
        ("Completed", "ended Completed"),
        ("Canceled", None),  # its own order_canceled says it, alone
    ],
)
def test_a_stalled_order_that_moved_while_stopped_ends_its_episode_at_the_resume(
    world, how, status, told
):
    w, stuck, _ = stalled_pending(world)
    lose(w, stuck, how)
    w.panel.pin(stuck, status)  # moved while the tracker was not polling it
    resume(w, stuck)
    cycles(w, 1)
    assert w.store.order("sim", stuck)["status"] == status
    assert len(kinds(w, "order_stalled")) == 1
    moving = kinds(w, "order_moving")
    if told is None:
        assert moving == [] and len(kinds(w, "order_canceled")) == 1
    else:
        [one] = moving
        assert one["data"]["orders"][0]["order_id"] == stuck and told in one["message"]
    assert stalled_listing(w) == []
    assert w.store.rows("SELECT order_id FROM order_watch WHERE stalled_at IS NOT NULL") == []
    cycles(w, 1)  # nothing more
    assert len(kinds(w, "order_stalled")) == 1 and len(kinds(w, "order_moving")) == len(moving)


def test_a_stalled_order_that_moved_just_before_it_was_untracked_is_told_moving_once(world):
    # The poll saw it move, then it was untracked before the watch's pass: its
    # episode ends then (order_moving), and nothing is kept to tell again.
    w, stuck, _ = stalled_pending(world)
    w.panel.pin(stuck, "In progress")
    w.clock.advance(STEP)
    w.poll()
    assert w.cli("untrack", str(stuck)).exit_code == 0
    run(w)
    [moving] = kinds(w, "order_moving")
    assert "is moving again (In progress" in moving["message"]
    resume(w, stuck)
    cycles(w, 1)
    assert len(kinds(w, "order_stalled")) == 1 and len(kinds(w, "order_moving")) == 1

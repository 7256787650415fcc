"""`automation_capped` says the cap "reached" only when it was.

Walkthrough walk62: a Partial charged in whole until the panel's late refund
is estimated at twice its rate, so with 0.477 spent of a cap of 1.00 the
alert read "daily cap 1.00 reached (0.477 spent today): 2 re-orders not
placed", and one of them was placed, the same day, once refunded.
"""

from __future__ import annotations

from decimal import Decimal

from test_automation_e2e import REORDER, actions, kinds, partial_remains, run

from tracker.rules.money import money
from tracker.sim.server import SERVICE_FOLLOWERS


def test_a_cap_with_room_left_says_it_would_be_passed_and_by_how_much(world):
    remains = partial_remains(2)
    costs = [Decimal("0.90") * max(r, 100) / 1000 for r in remains]
    cap = costs[0] + costs[1] / 2  # room for the first, not the second
    w = world(automation=REORDER.format(cap=cap))
    w.sync_services()
    parents = [w.ended(SERVICE_FOLLOWERS) for _ in range(2)]
    w.poll()
    assert run(w)
    assert [a["order_id"] for a in actions(w, "reorder")] == parents[:1]
    (capped,) = kinds(w, "automation_capped")
    spent, more = money(costs[0]), money(costs[1])
    assert "reached" not in capped["message"]
    assert capped["message"] == (
        f"sim: daily cap {money(cap)} USD would be passed ({spent} spent today):"
        f" 1 re-order not placed ({more} estimated): #{parents[1]}"
    )

"""The wall clock set back while the automation runs: what it stamped ahead of
the clock (a balance check, its services' medians) is not taken as fresh until
the clock catches up. Against the simulated panel on loopback, on the test's
clock, with the real jobs."""

from __future__ import annotations

import json

from automation_kit import run
from refill_world import DAY, H, World
from test_cap_currency import balance, held_on_asked_balance, partial, reorder_world, skipped

from tracker.rules.reorders import STALE_SERVICE
from tracker.sim.server import SERVICE_FOLLOWERS


def test_a_balance_stamped_ahead_of_a_clock_set_back_is_asked_again_before_a_reorder(world, clock):
    # A balance checked while the clock ran three hours ahead read as fresh
    # (its age below 0) until the clock caught up: with the balance job
    # failing meanwhile, re-orders went on a currency not checked for hours.
    w: World = reorder_world(world, "RUB")
    balance(w, "RUB")
    clock.advance(-3 * H)  # NTP sets the clock back
    assert w.sync_services()  # the services answer (rates fresh); the balance job fails
    parent = partial(w)
    w.panel.currency = "USD"  # the panel switches; the balance job fails or is late
    held_on_asked_balance(w, parent)


def test_a_services_list_stamped_ahead_of_a_clock_set_back_is_no_fresh_rate(world, clock):
    # Synced while the clock ran three days ahead, the services' rates read as
    # fresh for those three days on top of 2 x services_every: a day with the
    # services call failing, re-orders were still priced on day-old rates.
    w: World = reorder_world(world, "RUB")  # the services synced now
    clock.advance(-3 * DAY)  # the clock put right: three days back
    balance(w, "RUB")
    clock.advance(DAY)  # a day on, the services call failing all along
    parent = partial(w)
    assert run(w)
    assert w.panel.calls["add"] == 0
    assert skipped(w) == {parent: STALE_SERVICE}


def test_a_clock_set_back_leaves_no_services_median_unread_until_it_catches_up(world, clock):
    # The medians are read once an hour: read at 12:00, the clock then set
    # back three days, they were not read again for three days, and an order
    # went without the eta its service's median gives.
    w: World = world()
    waiting = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    assert run(w)
    clock.advance(-3 * DAY)
    done = [w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(3)]
    w.poll()
    clock.advance(H)
    for order in done:
        w.panel.pin(order, "Completed")
    w.poll()  # three completed in an hour each: the service's median
    clock.advance(H)
    assert run(w)
    [row] = [o for o in json.loads(w.cli("orders", "--json").stdout) if o["order_id"] == waiting]
    assert row["eta"] is not None

"""A Partial whose figures a hostile panel made absurd (a charge of nearly
1e15 for one unit delivered, of a billion-unit order of a service listing no
max) puts an estimate on its re-order far above any cap: skipped for it,
never a failed automation job. Its estimate, 1e24 and more, has more digits
than Decimal's default context holds at 5 places: the job raised
InvalidOperation at every run, a traceback in the log, and no later Partial
of the panel was re-ordered again. Through the simulated panel; nothing sleeps.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from automation_kit import REORDER, cli_today, run  # noqa: F401  (fixture)
from refill_world import World

from tracker.rules.reorder_costs import estimated_cost
from tracker.rules.reorders import ALONE_ABOVE_CAP
from tracker.sim.catalogue import SERVICES
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES
from tracker.store import automation as automation_sql

BILLION = 1_000_000_001
ABSURD_CHARGE = "999999999999999"  # below the 1e15 no amount reaches


def test_an_estimate_of_an_absurd_rate_keeps_its_figure():
    rate = Decimal(ABSURD_CHARGE) * 1000  # what the charge says of one unit
    assert estimated_cost(rate, BILLION - 1) == Decimal(ABSURD_CHARGE) * (BILLION - 1)
    assert estimated_cost(Decimal("0.9"), 500) == Decimal("0.45000")


@pytest.mark.parametrize("charge", [float(ABSURD_CHARGE), 1e300])  # 1e300: an older row's
def test_a_partial_charged_absurdly_is_skipped_and_later_partials_reordered(world, charge):
    w: World = world(automation=REORDER.replace("[1]", f"[{SERVICE_FOLLOWERS}, {SERVICE_LIKES}]"))
    listed = [
        {k: v for k, v in s.items() if k != "max"} if s["service"] == SERVICE_FOLLOWERS else s
        for s in SERVICES
    ]
    w.panel._services = lambda form, now: listed  # type: ignore[method-assign]
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS, quantity=BILLION)
    later = w.ended(SERVICE_LIKES)
    w.poll()
    with w.store.write() as db:  # what the panel said of it: one unit, nearly 1e15
        db.conn.execute(
            "UPDATE orders SET charge = ?, remains = ? WHERE order_id = ?",
            [charge, BILLION - 1, parent],
        )
    assert run(w)
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {parent: ALONE_ABOVE_CAP}
    placed = [a["order_id"] for a in automation_sql.actions(w.store) if a["action"] == "reorder"]
    assert placed == [later]


def test_a_reorder_whose_stored_charge_is_absurd_counts_it_and_fails_nothing(world):
    # A charge stored before amounts were bounded at 1e15 (older rows may
    # hold such): the day's spend summed to 5 places had more digits than
    # Decimal's default context holds, and the automation job failed at
    # every run, `automation` with it.
    w: World = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    w.ended(SERVICE_FOLLOWERS)
    w.poll()
    assert run(w)
    (action,) = [a for a in automation_sql.actions(w.store) if a["action"] == "reorder"]
    w.ended(SERVICE_FOLLOWERS)
    w.poll()
    with w.store.write() as db:
        db.conn.execute(
            "UPDATE orders SET charge = 1e300 WHERE order_id = ?", [action["new_order_id"]]
        )
    assert run(w)  # the cap is passed: nothing more placed, and no failure
    assert w.panel.calls["add"] == 1
    shown = w.cli("automation")
    assert shown.exit_code == 0, shown.output
    assert "re-orders today: " in shown.stdout

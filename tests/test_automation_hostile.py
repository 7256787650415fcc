"""Automation against what an unattended daemon meets: services a re-order of a
link and a quantity does not buy, clocks put back, and orders someone asked
to cancel. Through the simulated
panel on loopback, the real jobs and the real CLI; nothing sleeps; the panel's
calls are counted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from automation_kit import REORDER, cli_today, run  # noqa: F401  (fixture)
from refill_world import DAY, H, World

from tracker.rules.reorders import CANCEL_ASKED, OTHER_TYPE, STAMPED_AHEAD
from tracker.sim.catalogue import SERVICES
from tracker.sim.server import SERVICE_FOLLOWERS, SimulatedPanel
from tracker.store import automation as automation_sql


def typed(w: World, kind: object) -> None:
    """Make the panel's services answer list the followers service as ``kind``."""
    listed = [dict(s, type=kind) if s["service"] == SERVICE_FOLLOWERS else s for s in SERVICES]
    w.panel._services = lambda form, now: listed  # type: ignore[method-assign]


@pytest.mark.parametrize("kind", ["Package", "Custom Comments", "Subscriptions", "Poll"])
def test_a_partial_of_a_service_not_sold_by_quantity_is_not_reordered(world, kind):
    # A Package is priced per order: 0.90 a package, which the estimate read as
    # 0.90 per 1000 (500 for 0.45), so the cap bounded nothing; the other types
    # need more than a link and a quantity (comments, a username...).
    w = world(automation=REORDER)
    typed(w, kind)
    assert w.sync_services()
    parents = [w.ended(SERVICE_FOLLOWERS) for _ in range(3)]
    w.poll()
    assert run(w) and run(w)
    assert w.panel.calls["add"] == 0
    assert automation_sql.actions(w.store) == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {p: OTHER_TYPE for p in parents}
    shown = json.loads(w.cli("automation", "--json").stdout)
    assert [s["spent"] for s in shown["spend"]] == [0.0]
    assert "its service type is not Default" in w.cli("automation").stdout


@pytest.mark.parametrize("kind", ["Default", "default", " DEFAULT ", None, ""])
def test_a_partial_of_a_default_service_is_reordered_however_the_type_is_written(world, kind):
    w = world(automation=REORDER)
    typed(w, kind)  # None, "": the panel does not say (scripts listing no type)
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    assert run(w)
    assert w.panel.calls["add"] == 1
    (placed,) = automation_sql.actions(w.store)
    assert (placed["order_id"], placed["status"], placed["quantity"]) == (parent, "Placed", 500)


# --- 2. a clock put back never lets old history through reorder_within -----------


def test_a_partial_seen_by_a_clock_set_ahead_is_not_reordered_once_it_is_put_right(world, clock):
    # The clock a year ahead when the tracker saw the order end: put right, the
    # order "ended" a year from now and stayed inside reorder_within (3d) for a
    # year. Here the services call fails for nine days; it was re-ordered on the
    # tenth, a Partial ten days old.
    w = world(automation=REORDER)
    clock.advance(365 * DAY)
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    assert run(w)  # no services synced yet: skipped (its service unknown)
    clock.advance(-365 * DAY + H)  # put right an hour later
    for day in range(1, 11):
        clock.advance(DAY)
        if day >= 10:
            assert w.sync_services()
        w.poll()
        assert run(w)
    assert w.panel.calls["add"] == 0
    assert automation_sql.actions(w.store) == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {parent: STAMPED_AHEAD}


def test_a_partial_seen_just_before_a_small_step_back_is_reordered_once_the_clock_passes_it(
    world, clock
):
    w = world(automation=REORDER)
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()  # seen Partial at 12:00
    clock.advance(-H)  # NTP sets the clock back an hour before the job runs
    assert run(w)
    assert w.panel.calls["add"] == 0
    clock.advance(H + 60)  # past the stamp: ended a minute ago
    assert run(w)
    assert w.panel.calls["add"] == 1
    (placed,) = automation_sql.actions(w.store)
    assert (placed["order_id"], placed["status"]) == (parent, "Placed")


# --- 3. what was asked to be cancelled is not bought again -----------------------


def test_an_order_the_user_cancelled_is_not_reordered_when_it_ends_partial(world):
    # `smm-tracker cancel` of an order In progress: the panel delivered half and
    # ended it Partial, and the next automation run bought the other 500 again.
    w = world(automation=REORDER)
    assert w.sync_services()
    order = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    assert w.cli("cancel", "--yes", str(order)).exit_code == 0
    w.poll()
    assert w.store.rows("SELECT status, remains FROM orders") == [
        {"status": "Partial", "remains": 500}
    ]
    assert run(w) and run(w)
    assert w.panel.calls["add"] == 0
    assert automation_sql.actions(w.store) == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {order: CANCEL_ASKED}
    assert "a cancel was asked for it" in w.cli("automation").stdout


class StartsOnCancelPanel(SimulatedPanel):
    """Starts delivering each order just as its cancel arrives: half of it is
    delivered, and the cancel ends it Partial."""

    def _cancel(self, form: Mapping[str, str], now: float):
        for token in form.get("orders", "").split(","):
            self.pin(int(token), "In progress")
        return super()._cancel(form, now)


def test_an_order_the_automation_cancelled_is_not_reordered_when_it_ends_partial(world, clock):
    stale = 'cancel_pending = true\ncancel_pending_after = "1h"\n'
    w = world(automation=REORDER + stale, panel_class=StartsOnCancelPanel)
    assert w.sync_services()
    order = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    clock.advance(2 * H)
    w.poll()
    assert run(w)  # the stale Pending order is cancelled: it had just started
    assert w.panel.calls["cancel"] == 1
    w.poll()
    assert w.store.rows("SELECT status FROM orders") == [{"status": "Partial"}]
    assert run(w) and run(w)
    assert w.panel.calls["add"] == 0
    assert [a["action"] for a in automation_sql.actions(w.store)] == ["cancel"]
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped[order] == CANCEL_ASKED


def test_an_order_the_user_just_cancelled_is_not_cancelled_again_by_the_automation(world, clock):
    # The user's cancel was accepted; before the next poll saw it Canceled the
    # automation sent its own cancel of the same stale Pending order, refused
    # ("This order cannot be canceled") and logged as a warning.
    stale = 'cancel_pending = true\ncancel_pending_after = "1h"\n'
    w = world(automation=REORDER + stale)
    assert w.sync_services()
    order = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    clock.advance(2 * H)
    w.poll()
    assert w.cli("cancel", "--yes", str(order)).exit_code == 0
    assert run(w)
    assert w.panel.calls["cancel"] == 1
    assert automation_sql.actions(w.store) == []


# --- 4. a service's flag the panel never plainly said ------------------------------


@pytest.mark.parametrize("flag", [float("nan"), float("inf"), float("-inf")])
def test_a_stale_pending_of_a_service_whose_cancel_flag_is_no_number_is_not_cancelled(
    world, clock, flag
):
    # "cancel": NaN (or Infinity) in the services list was read as a yes, so a
    # stale Pending order of a service the panel never said can cancel was sent
    # cancel. It is skipped now, as for "cancel": 0.
    stale = 'cancel_pending = true\ncancel_pending_after = "1h"\n'
    w = world(automation=stale)
    listed = [dict(s, cancel=flag) if s["service"] == SERVICE_FOLLOWERS else s for s in SERVICES]
    w.panel._services = lambda form, now: listed  # type: ignore[method-assign]
    assert w.sync_services()
    order = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    clock.advance(2 * H)
    w.poll()
    assert run(w) and run(w)
    assert w.panel.calls["cancel"] == 0
    assert automation_sql.actions(w.store) == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {order: "its service cannot be canceled"}

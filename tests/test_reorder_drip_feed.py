"""A re-order of a drip-feed Partial (tracked with `track --runs`): at its
pace (runs of no more than the original's quantity a run, at its interval)
when the synced catalogue says its service takes drip-feed; else one
ordinary order of the remainder, no runs, no interval, so the panel does not
refuse it for drip-feed (the simulated panel refuses runs on such a service),
its reason saying so. Against the simulated panel, its clock shared."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from automation_kit import REORDER, run
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import World

from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_VIEWS
from tracker.store import automation as automation_sql

# Views: dripfeed on in the simulated catalogue, min 500, max 1000000, 1.2 per 1000.
VIEWS = "reorder = true\nreorder_services = []\ndaily_cap = 100.0\n"


def drip_parent(w: World, tmp_path, service: int, *, each: int, runs: int, remains: int) -> int:
    """A Partial of ``service`` tracked as `track ID --runs R --interval 60`
    does, ``each`` a run, the panel answering ``remains`` of it (no charge:
    the estimate is the catalogue's rate)."""
    assert w.sync_services()
    parent = w.ended(service, quantity=each * runs)
    w.poll()  # seen Partial
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            'UPDATE orders SET quantity = ?, runs = ?, "interval" = 60, remains = ?, charge = NULL '
            "WHERE order_id = ?",
            [each, runs, remains, parent],
        )
    return parent


def reorder_of(w: World, parent: int) -> dict:
    (action,) = [a for a in automation_sql.actions(w.store) if a["action"] == "reorder"]
    assert action["order_id"] == parent
    return action


def test_a_drip_feed_partial_is_reordered_as_one_order_without_runs(world, tmp_path):
    w: World = world(automation=REORDER)
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    with sqlite3.connect(tmp_path / "t.db") as db:  # as `track ID --runs 2 --interval 10` does
        db.execute("UPDATE orders SET runs = 2, interval = 10 WHERE order_id = ?", [parent])
    w.poll()
    left = w.panel.order(parent).remains
    assert run(w)

    action = reorder_of(w, parent)
    assert action["status"] == "Placed", action
    assert w.panel.calls["add"] == 1
    child = w.store.order("sim", action["new_order_id"])
    assert child["runs"] is None and child["interval"] is None
    assert child["quantity"] == action["quantity"] == max(left, 100)
    assert w.panel.order(action["new_order_id"]).quantity == max(left, 100)  # one order, no runs
    # The pace was not kept, and the reason says why (the catalogue lists its flag off).
    assert action["reason"].endswith(
        "; as one order, not as runs: its service takes no drip-feed "
        "(its dripfeed flag is off in the services list)"
    ), action["reason"]


@pytest.mark.usefixtures("fresh_logs")
def test_a_drip_feed_partial_is_reordered_at_its_pace(world, tmp_path):
    from structlog.testing import capture_logs

    w: World = world(automation=VIEWS)
    parent = drip_parent(w, tmp_path, SERVICE_VIEWS, each=1000, runs=5, remains=3800)
    with capture_logs() as logs:
        assert run(w)

    # 3800 left of 5 runs of 1000: 4 runs of 950, never more than 1000 a run.
    action = reorder_of(w, parent)
    assert action["status"] == "Placed", action
    assert action["quantity"] == 3800
    assert (
        action["reason"] == "Partial: 3800 of 5000 undelivered; 3800 as 4 runs of 950 every 60 min"
    )
    assert Decimal(str(action["estimated_cost"])) == Decimal("4.56")  # 3800 x 1.2 / 1000
    new = action["new_order_id"]
    assert w.panel.order(new).quantity == 3800  # the panel's total: 4 x 950
    child = w.store.order("sim", new)
    assert (child["quantity"], child["runs"], child["interval"]) == (950, 4, 60)
    (said,) = [e for e in logs if e["event"] == "reordered"]
    assert said["new_order"] == new and "3800 as 4 runs of 950 every 60 min" in said["reason"]

    listing = w.cli("automation")
    assert listing.exit_code == 0, listing.output
    assert "3800 as 4 runs of 950 every 60 min" in listing.output
    assert run(w) and w.panel.calls["add"] == 1  # placed once: the next run places none
    history = w.cli("history", str(parent))
    assert f"as #{new}, 3800 more (3800 as 4 runs of 950 every 60 min): Placed" in history.output


def test_a_drip_feed_remainder_over_its_runs_is_counted_whole_against_the_cap(world, tmp_path):
    # 1001 left of runs of 1000: 2 runs of 501 (1002, one over; the panel's
    # min is 500 a run). The cap fits the remainder's 1.2012, not the runs' 1.2024.
    w: World = world(automation=VIEWS.replace("100.0", "1.202"))
    parent = drip_parent(w, tmp_path, SERVICE_VIEWS, each=1000, runs=3, remains=1001)
    assert run(w)
    assert w.panel.calls["add"] == 0
    assert [a for a in automation_sql.actions(w.store) if a["action"] == "reorder"] == []
    (skip,) = automation_sql.skips(w.store)
    assert skip["order_id"] == parent
    assert skip["reason"] == "its estimated cost alone is above the daily cap"


def test_a_drip_feed_remainder_of_one_run_is_an_ordinary_order(world, tmp_path):
    w: World = world(automation=VIEWS)
    parent = drip_parent(w, tmp_path, SERVICE_VIEWS, each=1000, runs=5, remains=700)
    assert run(w)
    action = reorder_of(w, parent)
    assert action["status"] == "Placed" and action["quantity"] == 700
    assert action["reason"].endswith(
        "; as one order, not as runs: the remainder fits in one run of 1000"
    )
    child = w.store.order("sim", action["new_order_id"])
    assert (child["quantity"], child["runs"], child["interval"]) == (700, None, None)


def test_a_drip_feed_partial_on_a_panel_listing_no_dripfeed_flag_is_one_order(world, tmp_path):
    w: World = world(automation=VIEWS)
    parent = drip_parent(w, tmp_path, SERVICE_VIEWS, each=1000, runs=5, remains=3800)
    with sqlite3.connect(tmp_path / "t.db") as db:  # as stored from a list without the flag
        db.execute("UPDATE services SET dripfeed = 0")
    assert run(w)
    action = reorder_of(w, parent)
    assert action["status"] == "Placed" and action["quantity"] == 3800
    assert "; as one order, not as runs: the services list does not say" in action["reason"]
    assert w.store.order("sim", action["new_order_id"])["runs"] is None
    assert w.panel.calls["add"] == 1

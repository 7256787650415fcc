"""daily_activity's orders ("first seen" on the dashboard's Daily activity)
count the orders `report` counts (m045): not one the panel never answered
for that is no longer tracked (untracked before its first poll, or lost: the
panel called its ID unknown until the tracker gave it up); one never
answered for but still tracked counts, as it is open."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from conftest import FakeClock
from refill_world import DAY, World
from sqlite_utils import Database
from test_daily_currency import daily_rows as daily
from test_scorecard_unseen import dashboard

from tracker.cli.dashboard import build_metadata
from tracker.clock import iso, utcnow
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES
from tracker.store.migrations import migrations
from tracker.store.orders import Store

M045 = "m045_first_seen_as_report_and_action_currency"


@pytest.fixture
def world(tmp_path):
    # Three days ago: a lost order is unknown past unknown_give_up (3 days) by now.
    clock = FakeClock((utcnow() - timedelta(days=3, hours=1)).replace(microsecond=0))
    w = World(tmp_path, clock)
    assert w.sync_services()
    yield w
    w.close()


def report_orders(w: World) -> int:
    result = w.cli("report", "--json")
    assert result.exit_code == 0, result.output
    return sum(r["orders"] for r in json.loads(result.output)["services"])


def test_an_order_untracked_before_its_first_poll_is_not_first_seen(world):
    # The user walk: one order polled (Partial); another tracked and untracked
    # before the tracker ever polled it. report counted 1 order, the view 2.
    world.order(SERVICE_FOLLOWERS, "Partial")
    world.poll()
    never_polled = world.order(SERVICE_LIKES, "Completed")
    assert world.cli("untrack", str(never_polled)).exit_code == 0

    rows = daily(world.store.path)
    assert sum(r["orders"] for r in rows) == report_orders(world) == 1
    assert [(r["orders"], r["spend"], r["currency"]) for r in rows] == [(1, 0.45, "USD")]


def test_an_order_the_panel_never_knew_is_not_first_seen_once_lost(world):
    world.order(SERVICE_FOLLOWERS, "Completed")
    world.store.track("sim", [987654], world.clock(), service=SERVICE_FOLLOWERS)
    world.poll()
    world.clock.advance(3 * DAY + 60)
    world.poll()
    assert [o["order_id"] for o in world.store.orders() if o["stopped_by"] == "panel"] == [987654]

    rows = daily(world.store.path)
    first_seen = sum(r["orders"] for r in rows)
    assert first_seen == report_orders(world) == 1


def test_an_order_never_answered_for_but_still_tracked_is_first_seen(world):
    world.order(SERVICE_FOLLOWERS, "Partial")
    world.poll()
    world.store.track("sim", [987654], world.clock(), service=SERVICE_FOLLOWERS)  # not polled

    rows = daily(world.store.path)
    assert sum(r["orders"] for r in rows) == report_orders(world) == 2


def test_a_day_of_only_such_an_order_has_no_row_as_report_has_none(world):
    never_polled = world.order(SERVICE_LIKES, "Completed")
    assert world.cli("untrack", str(never_polled)).exit_code == 0

    assert daily(world.store.path) == []
    assert report_orders(world) == 0


def test_the_dashboards_daily_chart_counts_first_seen_as_report(world):
    world.order(SERVICE_FOLLOWERS, "Partial")
    world.poll()
    never_polled = world.order(SERVICE_FOLLOWERS, "Completed")
    assert world.cli("untrack", str(never_polled)).exit_code == 0

    chart = build_metadata("t", {})["plugins"]["datasette-dashboards"]["overview"]["charts"]
    rows = dashboard(world, chart["daily"]["query"])
    assert sum(r["n"] for r in rows if r["what"] == "first seen") == 1


def test_a_database_before_m045_migrates_the_view_and_keeps_its_columns(tmp_path):
    path = tmp_path / "t.db"
    db = Database(path)
    migrations.apply(db, stop_before=M045)
    db.close()
    first = iso(utcnow().replace(microsecond=0) - timedelta(hours=2))
    conn = sqlite3.connect(path)
    with conn:  # one order ended Partial; one untracked before its first answer; one open
        for order_id, status, polling, stopped_by in (
            (1, "Partial", 0, None),
            (2, None, 0, "user"),
            (3, None, 1, None),
        ):
            conn.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, status, charge, "
                "currency, created_at, updated_at, polling, stopped_by) "
                "VALUES ('p', ?, 7, 100, ?, ?, ?, ?, ?, ?, ?)",
                [order_id, status, 1.5 if status else None, "USD" if status else None]
                + [first, first, polling, stopped_by],
            )
    conn.close()
    [old] = daily(path)
    assert old["orders"] == 3

    Store(path).close()  # opening it applies m045

    [new] = daily(path)
    assert new.keys() == old.keys()  # the view's columns, as users' queries name them
    assert {**new, "orders": 3} == old
    assert new["orders"] == 2
    conn = sqlite3.connect(path)
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM daily_activity")]
    conn.close()
    # The orders' part still read from its covering index alone (m020).
    assert "SCAN orders USING COVERING INDEX orders_created_day" in plan, plan

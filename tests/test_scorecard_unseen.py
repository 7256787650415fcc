"""Orders the panel never answered for (no status), in `report` and the
service_scorecard view: one no longer tracked (untracked before its first
poll, or lost: the panel called its ID unknown) is no outcome of the service
and counts nowhere; one still tracked is open and counts."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from conftest import FakeClock
from refill_world import DAY, World
from sqlite_utils import Database
from test_dashboard_cards import connect

from tracker.cli.dashboard import build_metadata
from tracker.clock import iso, utcnow
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES
from tracker.store.migrations import migrations
from tracker.store.orders import Store


@pytest.fixture
def world(tmp_path):
    # Three days ago, so that a lost order has been unknown past unknown_give_up
    # (3 days) by now; the views count against SQLite's 'now'.
    clock = FakeClock((utcnow() - timedelta(days=3, hours=1)).replace(microsecond=0))
    w = World(tmp_path, clock)
    assert w.sync_services()
    yield w
    w.close()


def scorecard_view(w: World) -> dict[int, dict]:
    conn = sqlite3.connect(w.store.path)
    conn.row_factory = sqlite3.Row
    try:
        return {r["service"]: dict(r) for r in conn.execute("SELECT * FROM service_scorecard")}
    finally:
        conn.close()


def dashboard(w: World, sql: str, params: dict | None = None) -> list[dict]:
    """Rows of a dashboard query as Datasette runs it, the panel filter unset."""
    conn = connect(w.store.path)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(r) for r in conn.execute(sql.replace("[[ AND panel = :panel ]]", ""), params or {})
        ]
    finally:
        conn.close()


def report_json(w: World) -> dict[int, dict]:
    result = w.cli("report", "--json")
    assert result.exit_code == 0, result.output
    return {r["service"]: r for r in json.loads(result.output)["services"]}


def test_an_order_untracked_before_its_first_poll_is_no_outcome(world):
    # The user walk: one order ended Partial; another was tracked and untracked
    # before the tracker ever polled it. The scorecard read 2 orders, Partial 50%.
    world.order(SERVICE_FOLLOWERS, "Partial")
    world.poll()
    never_polled = world.order(SERVICE_FOLLOWERS, "Completed")
    assert world.cli("untrack", str(never_polled)).exit_code == 0

    for row in (scorecard_view(world)[SERVICE_FOLLOWERS], report_json(world)[SERVICE_FOLLOWERS]):
        assert (row["orders"], row["open"], row["partial"]) == (1, 0, 1)
        assert row["share_partial"] == 1.0

    table = world.cli("report")
    assert table.exit_code == 0, table.output
    _, head, line = table.output.splitlines()
    cells = {h: line[head.index(h) :].split()[0] for h in ("ORDERS", "OPEN", "DONE", "PARTIAL")}
    assert cells == {"ORDERS": "1", "OPEN": "0", "DONE": "0%", "PARTIAL": "100%"}, table.output


def test_a_service_whose_only_order_was_untracked_unseen_is_not_listed(world):
    never_polled = world.order(SERVICE_LIKES, "Completed")
    assert world.cli("untrack", str(never_polled)).exit_code == 0

    assert SERVICE_LIKES not in scorecard_view(world)
    result = world.cli("report")
    assert result.exit_code == 0 and result.stdout == "", result.output
    assert result.output == "no orders first seen in the last 30d\n"


def test_an_order_the_panel_never_knew_is_no_outcome_once_lost(world):
    # The panel called the ID unknown from its first poll until the tracker gave
    # it up (unknown_give_up): lost, never seen by the panel.
    world.order(SERVICE_FOLLOWERS, "Completed")
    world.store.track("sim", [987654], world.clock(), service=SERVICE_FOLLOWERS)
    world.poll()
    world.clock.advance(3 * DAY + 60)
    world.poll()
    assert [o["order_id"] for o in world.store.orders() if o["stopped_by"] == "panel"] == [987654]

    for row in (scorecard_view(world)[SERVICE_FOLLOWERS], report_json(world)[SERVICE_FOLLOWERS]):
        assert (row["orders"], row["completed"], row["share_completed"]) == (1, 1, 1.0)


def test_an_order_never_answered_for_but_still_tracked_is_open(world):
    world.order(SERVICE_FOLLOWERS, "Partial")
    world.poll()
    world.store.track("sim", [987654], world.clock(), service=SERVICE_FOLLOWERS)  # not polled

    for row in (scorecard_view(world)[SERVICE_FOLLOWERS], report_json(world)[SERVICE_FOLLOWERS]):
        assert (row["orders"], row["open"], row["partial"]) == (2, 1, 1)
        assert row["share_partial"] == 0.5


def test_a_database_before_m041_migrates_its_view_and_keeps_its_columns(tmp_path):
    path = tmp_path / "t.db"
    db = Database(path)
    migrations.apply(db, stop_before="m041_scorecard_orders_seen_or_open")
    db.close()
    first = iso(utcnow().replace(microsecond=0) - timedelta(hours=2))
    conn = sqlite3.connect(path)
    with conn:  # one order ended Partial; one untracked before its first answer
        for order_id, status, stopped_by in ((1, "Partial", None), (2, None, "user")):
            conn.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, status, created_at, "
                "updated_at, polling, stopped_by) VALUES ('p', ?, 7, 100, ?, ?, ?, 0, ?)",
                [order_id, status, first, first, stopped_by],
            )
    conn.row_factory = sqlite3.Row
    (old,) = conn.execute("SELECT * FROM service_scorecard").fetchall()
    conn.close()
    assert (old["orders"], old["share_partial"]) == (2, 0.5)

    Store(path).close()  # opening it applies m041

    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    (new,) = conn.execute("SELECT * FROM service_scorecard").fetchall()
    conn.close()
    assert new.keys() == old.keys()  # the view's columns, as users' queries name them
    assert (new["orders"], new["open"], new["partial"], new["share_partial"]) == (1, 0, 1, 1.0)


def test_the_dashboard_charts_count_the_orders_the_scorecard_counts(world):
    # The outcomes chart's bars of the service added up to 50% (Partial).
    world.order(SERVICE_FOLLOWERS, "Partial")
    world.poll()
    never_polled = world.order(SERVICE_FOLLOWERS, "Completed")
    assert world.cli("untrack", str(never_polled)).exit_code == 0
    metadata = build_metadata("t", {})

    outcomes = metadata["plugins"]["datasette-dashboards"]["services"]["charts"]["outcomes"]
    shares = {r["outcome"]: r["share"] for r in dashboard(world, outcomes["query"])}
    assert shares == {"Completed": 0, "Partial": 1.0, "Canceled": 0, "Refunded": 0, "open": 0}


def test_spend_by_service_counts_the_orders_the_scorecard_counts(world):
    # The canned query had a row for the untracked order: 1 order, 0.00, no currency.
    world.order(SERVICE_FOLLOWERS, "Partial")
    world.poll()
    never_polled = world.order(SERVICE_FOLLOWERS, "Completed")
    assert world.cli("untrack", str(never_polled)).exit_code == 0

    spend = build_metadata("t", {})["databases"]["t"]["queries"]["spend_by_service"]["sql"]
    rows = dashboard(world, spend, {"days": "30"})
    assert [(r["orders"], r["spend"], r["currency"]) for r in rows] == [(1, "0.45", "USD")]

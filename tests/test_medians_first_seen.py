"""An order first seen already Completed (a backlog given to `track`) is no
sample of a time to complete: its first poll, seconds after it was tracked,
is no completion time. Left out of the stall watch's medians, and of
`report`'s and the dashboard's MEDIAN and P90 (order_overview's
completion_seconds is NULL for it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from refill_world import H

from tracker.clock import iso
from tracker.jobs.stalls import service_medians
from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store.alerts import alerts_since
from tracker.store.orders import Store
from tracker.store.reports import scorecard

STEP = 600.0


def test_a_tracked_backlog_of_completed_orders_makes_no_median_nor_stall_storm(world):
    w = world()
    w.sync_services()
    for _ in range(10):  # a backlog of old orders, given to `track` at install
        w.order(SERVICE_FOLLOWERS, "Completed")
    w.clock.advance(300)
    w.poll()  # each first seen Completed at the next poll, 5 minutes after it was tracked
    late = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    for _ in range(int(2 * H / STEP)):  # two hours, the automation every 10 minutes
        w.clock.advance(STEP)
        w.poll()
        assert w.jobs["automation:sim"].run()
    stalled = [a for a in alerts_since(w.store, None, limit=100) if a["kind"] == "order_stalled"]
    assert stalled == []  # Pending stalls after 12 h: no median to be far past
    (row,) = [r for r in json.loads(w.cli("orders", "--json").stdout) if r["order_id"] == late]
    assert row["eta_basis"] != "median"
    report = json.loads(w.cli("report", "--json", "--since", "90d").stdout)
    (line,) = [r for r in report["services"] if r["service"] == SERVICE_FOLLOWERS]
    assert line["completed"] == 10
    assert line["median_completion_seconds"] is None and line["p90_completion_seconds"] is None


NOW = datetime.now(UTC).replace(microsecond=0)  # the view counts 30 days to now


def seen(store: Store, order_id: int, took: timedelta, *statuses: str | None) -> None:
    """Store a Completed order of service 7, first seen ``took`` before it
    completed an hour ago, and its transitions through ``statuses``."""
    done = NOW - timedelta(hours=1)
    with store.write() as db:
        db.conn.execute(
            "INSERT INTO orders (panel, order_id, service, created_at, updated_at, "
            "completed_at, status, polling) VALUES ('main', ?, 7, ?, ?, ?, 'Completed', 0)",
            [order_id, iso(done - took), iso(done), iso(done)],
        )
        db.conn.executemany(
            "INSERT INTO transitions (panel, order_id, at, from_status, to_status) "
            "VALUES ('main', ?, ?, ?, ?)",
            [(order_id, iso(done), a, b) for a, b in zip(statuses, statuses[1:], strict=False)],
        )


def backlog(tmp_path) -> Store:
    """Three orders of service 7 seen open (2, 3, 4 h to complete), one tracked
    before transitions were kept (5 h), and eleven first seen Completed."""
    store = Store(tmp_path / "t.db")
    hour, second = timedelta(hours=1), timedelta(seconds=1)
    for order_id, took in enumerate([2 * hour, 3 * hour, 4 * hour], start=1):
        seen(store, order_id, took, None, "Pending", "In progress", "Completed")
    seen(store, 4, 5 * hour)  # no transition stored: a sample as before
    for order_id in range(10, 20):  # a backlog tracked already Completed
        seen(store, order_id, 10 * second, None, "Completed")
    seen(store, 20, 5 * second, None, "Completed", "Partial", "Completed")  # first seen so
    return store


def test_the_stall_watchs_median_counts_only_orders_seen_open_first(tmp_path):
    store = backlog(tmp_path)
    assert service_medians(store, "main", NOW) == {7: 3.5 * 3600}
    store.close()


def test_report_and_the_scorecard_view_count_only_orders_seen_open_first(tmp_path):
    store = backlog(tmp_path)
    overview = dict(store.conn.execute("SELECT order_id, completion_seconds FROM order_overview"))
    assert overview[1] == 7200 and overview[4] == 5 * 3600
    assert {overview[i] for i in range(10, 21)} == {None}
    (line,) = scorecard(store, NOW - timedelta(days=30))
    assert line["completed"] == 15
    assert line["median_completion_seconds"] == 3.5 * 3600
    assert line["p90_completion_seconds"] == 4.7 * 3600
    (view,) = store.conn.execute(
        "SELECT completed, median_completion_seconds FROM service_scorecard"
    ).fetchall()
    store.close()
    assert tuple(view) == (15, 3.5 * 3600)


def test_both_reads_of_the_rule_stay_on_indexes_alone(tmp_path):
    # The stall watch's medians: the m023 index, and the rowids of the orders
    # first seen Completed read once from m051's; order_overview: one probe of
    # m051's index a completed order. No row of either table read.
    store = backlog(tmp_path)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    service_medians(store, "main", NOW)
    store.conn.set_trace_callback(None)
    [read] = [s for s in statements if "julianday" in s]
    medians = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + read))
    overview = " ".join(
        r[3]
        for r in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT completion_seconds FROM order_overview"
        )
    )
    store.close()
    assert "COVERING INDEX orders_completed_durations" in medians, medians
    assert "COVERING INDEX transitions_first_completed" in medians, medians
    assert "COVERING INDEX transitions_first_completed" in overview, overview

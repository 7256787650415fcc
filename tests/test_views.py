"""The m010 views over a database the simulator filled with known outcomes."""

from __future__ import annotations

import sqlite3
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from scorecard_world import POLL_AT, Known, build

from tracker.rules.delivery import delivered
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES, SERVICE_TIKTOK
from tracker.store.orders import Store

FINAL = ("Completed", "Partial", "Canceled")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    w, known = build(tmp_path_factory.mktemp("views"))
    yield w, known
    w.close()


def query(w, sql: str, params=()) -> list[dict]:
    """Read through a plain sqlite3 connection, as a user of the file would."""
    conn = sqlite3.connect(w.store.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def in_window(known: Known) -> list:
    return known.orders  # the old order is the only one outside 30 days


def test_order_overview_has_every_order_with_delivered_by_the_listing_rule(built):
    w, known = built
    rows = {r["order_id"]: r for r in query(w, "SELECT * FROM order_overview")}
    assert set(rows) == {p.order_id for p in known.orders} | {known.old.order_id}
    for listed in w.store.orders():
        row = rows[listed["order_id"]]
        expected = delivered(
            listed["status"], listed["quantity"], listed.get("runs"), listed["remains"]
        )
        assert row["delivered"] == expected, listed
    partial = next(p for p in known.orders if p.status == "Partial")
    assert 0 < rows[partial.order_id]["delivered"] < 1000
    assert rows[known.refilled]["delivered"] == 1000
    assert rows[known.refilled]["service_name"] == "Instagram Followers | Refill 30 days"


def test_order_overview_times_and_refills(built):
    w, known = built
    rows = {r["order_id"]: r for r in query(w, "SELECT * FROM order_overview")}
    for placed in known.orders:
        row = rows[placed.order_id]
        assert row["first_seen"] == placed.tracked_at.isoformat()
        if placed.completed_at is not None:
            expected = (placed.completed_at - placed.tracked_at).total_seconds()
            assert row["completion_seconds"] == expected
        else:
            assert row["completion_seconds"] is None
    # age counts from first seen to now: the fresh order is about an hour old
    assert 3500 <= rows[known.fresh]["age_seconds"] <= 3600 + 120
    refilled = rows[known.refilled]
    assert (refilled["refills"], refilled["refills_accepted"], refilled["refills_completed"]) == (
        1,
        1,
        1,
    )
    assert refilled["needed_refill"] == 1
    rejected = rows[known.refills_asked[1]]
    assert (rejected["refills"], rejected["refills_accepted"], rejected["refills_completed"]) == (
        1,
        1,
        0,
    )
    assert rejected["needed_refill"] == 0
    assert rows[known.stuck]["is_open"] == 1 and rows[known.refilled]["is_open"] == 0


@pytest.mark.parametrize(
    ("refill", "needed"),
    [
        ("Pending", 0),  # the daily request the panel took, not judged yet
        ("In progress", 1),
        ("Completed", 1),
        ("Rejected", 0),  # nothing dropped
        ("Canceled", 0),
        ("Failed", 0),
        ("Unknown", 0),  # the answer was lost
    ],
)
def test_an_order_needed_a_refill_only_when_the_panel_refills_it(tmp_path, refill, needed):
    # With refill.detect = "panel" every guaranteed order has a request
    # accepted each day and Rejected hours later: while they wait, the
    # report's REFILLED read near 100% of the Completed orders.
    store = Store(tmp_path / "t.db")
    at = (datetime.now(UTC) - timedelta(days=2)).isoformat()  # in the scorecard's 30 days
    try:
        with store.conn:
            store.conn.execute(
                "INSERT INTO orders (panel, order_id, service, quantity, created_at, "
                "updated_at, status, completed_at, polling) "
                "VALUES ('main', 1, 5, 100, ?, ?, 'Completed', ?, 0)",
                [at, at, at],
            )
            store.conn.execute(
                "INSERT INTO refills (panel, order_id, refill_id, requested_at, status, "
                "updated_at) VALUES ('main', 1, '77', ?, ?, ?)",
                [at, refill, at],
            )
        (row,) = store.rows("SELECT needed_refill FROM order_overview")
        score = store.rows(
            "SELECT refills_accepted, share_refilled FROM service_scorecard WHERE service = 5"
        )
    finally:
        store.close()
    assert row["needed_refill"] == needed
    assert [r["share_refilled"] for r in score] == [needed]


def expected_scorecard(known: Known) -> dict[int, dict]:
    """The scorecard computed here, from what the test knows happened."""
    out = {}
    by_service = defaultdict(list)
    for placed in in_window(known):
        by_service[placed.service].append(placed)
    for service, placed in by_service.items():
        n = len(placed)
        counts = Counter(p.status for p in placed)
        times = sorted(
            (p.completed_at - p.tracked_at).total_seconds()
            for p in placed
            if p.status == "Completed"
        )
        asked = [p for p in placed if p.order_id in known.refills_asked]
        out[service] = {
            "orders": n,
            "open": sum(1 for p in placed if p.status not in FINAL),
            "completed": counts["Completed"],
            "share_completed": round(counts["Completed"] / n, 4),
            "share_partial": round(counts["Partial"] / n, 4),
            "share_canceled": round(counts["Canceled"] / n, 4),
            "share_refunded": 0.0,
            "median_completion_seconds": statistics.median(times),
            "p90_completion_seconds": statistics.quantiles(times, n=10, method="inclusive")[8],
            "refills_asked": len(asked),
            "refills_accepted": len(asked),
            "refills_completed": sum(1 for p in asked if p.order_id == known.refilled),
            "share_refilled": round(
                sum(1 for p in asked if p.order_id == known.refilled) / counts["Completed"], 4
            ),
            "spend": pytest.approx(sum(p.charge for p in placed), abs=1e-5),
        }
    return out


def test_service_scorecard_matches_figures_computed_from_the_story(built):
    w, known = built
    rows = query(w, "SELECT * FROM service_scorecard")
    assert [r["service"] for r in rows] == sorted(
        (SERVICE_FOLLOWERS, SERVICE_LIKES, SERVICE_TIKTOK),
        key=lambda s: -sum(p.charge for p in known.orders if p.service == s),
    )  # by spend, highest first
    expected = expected_scorecard(known)
    for row in rows:
        want = expected[row["service"]]
        assert {k: row[k] for k in want} == want, row["service"]
    followers = next(r for r in rows if r["service"] == SERVICE_FOLLOWERS)
    # 5 Completed after 10, 9, 8, 7 and 4.5 hours; the 40-day-old order is left out
    assert followers["orders"] == 8 and followers["completed"] == 5
    assert followers["median_completion_seconds"] == 8 * 3600
    assert followers["p90_completion_seconds"] == pytest.approx(9.6 * 3600)
    assert followers["share_refilled"] == 0.2
    assert followers["panel"] == "sim" and followers["currency"] == "USD"


def test_daily_activity_counts_each_day(built):
    w, known = built
    want: dict[str, Counter] = defaultdict(Counter)
    spend: dict[str, float] = defaultdict(float)
    for placed in [*known.orders, known.old]:
        day = placed.tracked_at.date().isoformat()
        want[day]["orders"] += 1
        spend[day] += placed.charge
        if placed.status == "Completed":
            want[placed.completed_at.date().isoformat()]["completed"] += 1
    want[known.refills_at.date().isoformat()]["refills_asked"] += len(known.refills_asked)
    rows = query(w, "SELECT * FROM daily_activity")
    assert [r["day"] for r in rows] == sorted(want)
    for row in rows:
        assert row["panel"] == "sim"
        counts = want[row["day"]]
        assert (row["orders"], row["completed"], row["refills_asked"]) == (
            counts["orders"],
            counts["completed"],
            counts["refills_asked"],
        )
        assert row["spend"] == pytest.approx(spend[row["day"]], abs=1e-5)


def test_stuck_orders_lists_open_orders_unchanged_for_a_day_oldest_first(built):
    w, known = built
    rows = query(w, "SELECT * FROM stuck_orders")
    assert [r["order_id"] for r in rows] == [known.stuck]
    row = rows[0]
    assert row["status"] == "In progress" and row["delivered"] == 500
    # unchanged since the poll at hour 10 of a story that started 3 days ago
    assert row["last_change_at"] == (known.start + timedelta(seconds=POLL_AT)).isoformat()
    assert row["unchanged_hours"] == pytest.approx(72 - 10, abs=0.2)


def test_views_read_only_columns_every_schema_has(built):
    """A later migration adding columns to orders leaves the views working."""
    w, _ = built
    conn = sqlite3.connect(w.store.path)
    try:
        conn.execute("BEGIN")
        conn.execute("ALTER TABLE orders ADD COLUMN some_later_column TEXT")
        for view in ("order_overview", "service_scorecard", "daily_activity", "stuck_orders"):
            conn.execute(f"SELECT * FROM {view}").fetchall()
    finally:
        conn.rollback()
        conn.close()


def test_order_overview_counts_no_delivery_before_it_starts_and_whole_drip_feeds(tmp_path):
    # m014: the listing's rule: some panel scripts say remains "0" while Pending;
    # a drip-feed order's quantity is per run.
    from tracker.clock import utcnow

    store = Store(tmp_path / "t.db")
    store.track("p", [1, 2, 3, 4], utcnow())
    with store.write() as db:
        for order_id, status, quantity, runs, remains in (
            (1, "Pending", 1000, None, 0),
            (2, "In progress", 100, 5, 120),
            (3, "Completed", 1000, None, -2),
            # m018: remains above the whole order (runs not known): unknown, not -3285.
            (4, "In progress", 1000, None, 4285),
        ):
            db.execute(
                "UPDATE orders SET status = ?, quantity = ?, runs = ?, remains = ? "
                "WHERE panel = 'p' AND order_id = ?",
                [status, quantity, runs, remains, order_id],
            )
    rows = dict(store.conn.execute("SELECT order_id, delivered FROM order_overview").fetchall())
    store.close()
    assert rows == {1: None, 2: 380, 3: 1002, 4: None}


def test_order_overview_counts_no_delivery_from_a_remains_below_minus_the_order(tmp_path):
    # m022: a panel's "-99999999999" of 1000 read 100000000999 delivered.
    from tracker.clock import utcnow

    store = Store(tmp_path / "t.db")
    store.track("p", [1, 2, 3], utcnow())
    with store.write() as db:
        for order_id, quantity, runs, remains in (
            (1, 1000, None, -99_999_999_999),
            (2, 1000, None, -1000),  # over-delivered as much again: still a figure
            (3, 100, 5, -501),
        ):
            db.execute(
                "UPDATE orders SET status = 'Completed', quantity = ?, runs = ?, remains = ? "
                "WHERE panel = 'p' AND order_id = ?",
                [quantity, runs, remains, order_id],
            )
    rows = dict(store.conn.execute("SELECT order_id, delivered FROM order_overview").fetchall())
    stuck = store.conn.execute("SELECT count(*) FROM stuck_orders").fetchone()[0]
    store.close()
    assert rows == {1: None, 2: 2000, 3: None}
    assert stuck == 0  # the views reading order_overview still read it


def test_each_orders_refills_are_read_by_the_refills_order_index(tmp_path):
    # With the Completed test indexable, SQLite read refills by (panel, status)
    # and scanned every Completed refill of the panel for each order: minutes
    # for the scorecard of a large database (report, the dashboard's cards).
    store = Store(tmp_path / "t.db")
    plan = [
        row[3]
        for row in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT refills_completed FROM order_overview"
        )
    ]
    store.close()
    refills = [step for step in plan if "refills" in step and "SEARCH" in step]
    assert refills and all("refills_order" in step for step in refills), plan


def test_daily_activity_counts_each_part_from_an_index_of_its_own(tmp_path):
    # m017: the view sorted every order, completion and refill into one
    # grouping (80k orders: ~0.2 s a read, three reads a page). Each part is
    # now counted per day in the order of an index: partial ones, so the
    # polled (open) orders' writes never touch them.
    store = Store(tmp_path / "t.db")
    indexes = {
        r["name"]: r["sql"]
        for r in store.rows("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
    }
    plan = [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN SELECT * FROM daily_activity")]
    store.close()
    assert "WHERE polling = 0" in indexes["orders_created_day"]
    assert "WHERE status = 'Completed'" in indexes["orders_completed_day"]
    # m020 made orders_created_day covering (tests/test_daily_currency.py).
    created = {f"SCAN orders USING {how}INDEX orders_created_day" for how in ("", "COVERING ")}
    assert created & set(plan), plan
    assert "SCAN orders USING INDEX orders_completed_day" in plan, plan


def test_daily_activity_gives_the_rows_the_m010_view_gave(built):
    from tracker.store.views import DAILY_ACTIVITY

    w, _ = built
    conn = sqlite3.connect(w.store.path)
    try:
        conn.execute("BEGIN")
        conn.execute(DAILY_ACTIVITY.replace("VIEW daily_activity", "TEMP VIEW m010_daily"))
        old = conn.execute("SELECT * FROM m010_daily").fetchall()
        new = conn.execute("SELECT * FROM daily_activity").fetchall()
    finally:
        conn.rollback()
        conn.close()
    assert len(new) == len(old) > 1
    for was, now in zip(old, new, strict=True):
        assert now[:4] == was[:4] and now[5] == was[5]
        assert now[4] == pytest.approx(was[4], abs=1e-5)  # spend, summed in parts

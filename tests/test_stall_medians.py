"""Each service's median time to complete (the stall watch's etas, README
"Stalls and expected completion"), read from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.clock import iso
from tracker.jobs.stalls import service_medians
from tracker.store.orders import Store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def completed(store: Store, rows: list[tuple[int, int, str, str]], panel: str = "main") -> None:
    """Store (order ID, service, created_at, completed_at) as Completed orders."""
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO orders (panel, order_id, service, created_at, updated_at, "
            "completed_at, status, polling) VALUES (?, ?, ?, ?, ?, ?, 'Completed', 0)",
            [(panel, i, s, c, c, d) for i, s, c, d in rows],
        )


def done(order_id: int, service: int, took: timedelta, ago: timedelta) -> tuple:
    finished = NOW - ago
    return (order_id, service, iso(finished - took), iso(finished))


def test_a_services_median_is_the_middle_time_to_complete_over_30_days(tmp_path):
    store = Store(tmp_path / "t.db")
    hour, day = timedelta(hours=1), timedelta(days=1)
    completed(
        store,
        [
            done(1, 7, 1 * hour, day),
            done(2, 7, 2 * hour, day),
            done(3, 7, 5 * hour, 2 * day),
            done(4, 7, 90 * hour, 31 * day),  # older than 30 days: no sample
            done(5, 8, hour, day),  # two samples of service 8: no median
            done(6, 8, hour, day),
        ],
    )
    completed(store, [done(7, 7, 50 * hour, day)], panel="other")  # another panel's
    assert service_medians(store, "main", NOW) == {7: 7200.0}
    store.close()


def test_an_unreadable_timestamp_or_a_completion_before_first_seen_is_no_sample(tmp_path):
    # A row written by hand or by another program: the stall watch carries on
    # (it failed on every pass, for every order of the panel).
    store = Store(tmp_path / "t.db")
    hour, day = timedelta(hours=1), timedelta(days=1)
    bad = (4, 7, "yesterday", iso(NOW - day))
    backwards = done(5, 7, -hour, day)
    completed(store, [done(1, 7, hour, day), done(2, 7, hour, day), done(3, 7, 3 * hour, day)])
    completed(store, [bad, backwards])
    assert service_medians(store, "main", NOW) == {7: 3600.0}
    store.close()


def test_the_medians_are_read_from_an_index_alone(tmp_path):
    # Read on every stall pass of `run --once` (twice) and every few minutes by
    # the daemon: with 60k orders completed in 30 days among 600k, reading the
    # table's rows took ~0.35 s a time; the m023 index has every column read.
    store = Store(tmp_path / "t.db")
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    service_medians(store, "main", NOW)
    store.conn.set_trace_callback(None)
    [read] = [s for s in statements if "julianday" in s or "completed_at >=" in s]
    plan = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + read))
    store.close()
    assert "COVERING INDEX orders_completed_durations" in plan, plan

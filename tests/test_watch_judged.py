"""The stall watch's pass judges an open order again only when something it is
judged by changed: status, remains, last change, service, or the service's
median (m031 keeps each as a column beside ``judged_key``, the same facts as
one text), or when its ``recheck_at`` has come. The pass compares the columns:
it no longer builds every open order's key text to find none due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from raised import Raised

from tracker.clock import iso
from tracker.config.model import AutomationConfig
from tracker.jobs.stalls import watch_stalls
from tracker.store.orders import Store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
JUDGED = "judged_status, judged_remains, judged_change_at, judged_service, judged_median"


def seeded(tmp_path, orders: list[tuple]) -> Store:
    """A store with open orders (order_id, status, remains, service, last change)."""
    store = Store(tmp_path / "t.db")
    with store.write() as db:
        for order_id, status, remains, service, last in orders:
            db.execute(
                "INSERT INTO orders (panel, order_id, status, polling, remains, service, "
                "quantity, created_at, updated_at, last_change_at, last_checked_at, "
                "next_check_at) VALUES ('main', ?, ?, 1, ?, ?, 1000, ?, ?, ?, ?, ?)",
                [order_id, status, remains, service, iso(last), iso(NOW), iso(last),
                 iso(NOW), iso(NOW + timedelta(minutes=5))],
            )  # fmt: skip
    return store


def watch(store: Store, medians: dict[int, float], alerts: Raised, now: datetime = NOW) -> int:
    counts = watch_stalls(
        store, "main", AutomationConfig(), alerts, lambda: now, medians=medians, late=600
    )
    return counts["judged"]


def test_each_fact_an_order_is_judged_by_makes_it_due_and_nothing_else(tmp_path):
    hour_ago = NOW - timedelta(hours=1)
    store = seeded(
        tmp_path,
        [(n, "In progress", 500, 1 if n == 5 else 2, hour_ago) for n in range(1, 7)],
    )
    alerts = Raised()
    medians = {1: 3600.0}
    assert watch(store, medians, alerts) == 6  # first sight
    assert watch(store, medians, alerts) == 0  # nothing changed
    stored = store.tuples(f"SELECT order_id, {JUDGED} FROM order_watch ORDER BY order_id")
    assert stored[0] == (1, "In progress", 500, iso(hour_ago), 2, None)
    assert stored[4] == (5, "In progress", 500, iso(hour_ago), 1, 3600.0)

    with store.write() as db:
        db.execute("UPDATE orders SET status = 'Processing' WHERE order_id = 1")
        db.execute("UPDATE orders SET remains = 400 WHERE order_id = 2")
        db.execute("UPDATE orders SET last_change_at = ? WHERE order_id = 3", [iso(NOW)])
        db.execute("UPDATE orders SET service = 3 WHERE order_id = 4")
    medians = {1: 7200.0}  # order 5's service: its median moved
    assert watch(store, medians, alerts) == 5  # order 6 alone unchanged
    assert watch(store, medians, alerts) == 0
    assert store.tuples(f"SELECT {JUDGED} FROM order_watch WHERE order_id = 4") == [
        ("In progress", 500, iso(hour_ago), 3, None)
    ]
    assert alerts.alerts == []
    store.close()


def test_rows_judged_before_the_columns_existed_are_judged_once_without_alerts(tmp_path):
    # A database upgraded to m031: its watch rows have judged_key but no
    # judged_* columns. Each open order is judged again once (an open stall
    # episode stays open, not raised again), then not until it changes.
    store = seeded(
        tmp_path,
        [
            (1, "Pending", 1000, 2, NOW - timedelta(hours=20)),  # stalled: Pending 12 h+
            (2, "In progress", 500, 2, NOW - timedelta(hours=1)),
        ],
    )
    alerts = Raised()
    assert watch(store, {}, alerts) == 2
    assert [a.kind for a in alerts.alerts] == ["order_stalled"]
    with store.write() as db:
        db.execute(f"UPDATE order_watch SET ({JUDGED}) = (NULL, NULL, NULL, NULL, NULL)")
    later = NOW + timedelta(minutes=10)
    assert watch(store, {}, alerts, later) == 2
    assert watch(store, {}, alerts, later) == 0
    assert [a.kind for a in alerts.alerts] == ["order_stalled"]  # not raised again
    stalled = store.tuples("SELECT order_id FROM order_watch WHERE stalled_at IS NOT NULL")
    assert stalled == [(1,)]
    store.close()

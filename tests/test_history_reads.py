"""What the daemon reads at every poll, stall pass, balance check and metrics
scrape must not read the year of finished orders and balance checks behind
it: each is read from an index, by a plan that stops at what it needs.

At 155k finished orders and 35k balance checks per panel (a year of a busy
reseller, 3 panels) these plans read every row of a panel, each time: the
same poll of 180 open orders took 0.20 s of CPU instead of 0.06 s, and a
metrics scrape scanned all 105k balances.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker.clock import iso
from tracker.store.alerts import balance_history, latest_balance
from tracker.store.orders import Store
from tracker.store.readings import latest_balances
from tracker.store.watch import closed_watches, open_orders

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def plan_of(store: Store, call: Callable[[], object]) -> str:
    """Run ``call``; return the query plan of the statements it ran (FROM orders,
    order_watch or balances), joined."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    call()
    store.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    return " | ".join(r[3] for s in reads for r in store.conn.execute("EXPLAIN QUERY PLAN " + s))


def seeded(tmp_path: Path) -> Store:
    store = Store(tmp_path / "t.db")
    rows = [
        ("main", n, "Completed" if n < 90 else "In progress", int(n >= 90), iso(NOW), iso(NOW))
        for n in range(100)
    ]
    watched = [(n, iso(NOW)) for n in range(85, 100)]
    checks = [
        (panel, iso(NOW - timedelta(minutes=15 * k)), 100.0 + k)
        for k in range(50, -1, -1)
        for panel in ("main", "other")
    ]
    with store.write() as db:
        for row in rows:
            db.execute(
                "INSERT INTO orders (panel, order_id, status, polling, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                list(row),
            )
        for row in watched:
            db.execute(
                "INSERT INTO order_watch (panel, order_id, updated_at) VALUES ('main', ?, ?)",
                list(row),
            )
        for row in checks:
            db.execute(
                "INSERT INTO balances (panel, at, balance, currency) VALUES (?, ?, ?, 'USD')",
                list(row),
            )
    return store


def test_the_poll_witness_is_the_newest_answered_order_read_by_index(tmp_path):
    store = seeded(tmp_path)
    assert store.known_order("main") == 99
    plan = plan_of(store, lambda: store.known_order("main"))
    store.close()
    assert "TEMP B-TREE" not in plan, plan  # every order of the panel read and sorted


def test_the_watch_rows_of_closed_orders_are_found_from_the_watch_rows(tmp_path):
    store = seeded(tmp_path)
    assert sorted(r.order_id for r in closed_watches(store, "main")) == [85, 86, 87, 88, 89]
    plan = plan_of(store, lambda: closed_watches(store, "main"))
    store.close()
    # order_watch first (its few rows), each order looked up: not every order
    # of the panel, finished ones included, each looked up in order_watch.
    assert "SEARCH o USING INDEX sqlite_autoindex_orders_1 (panel=? AND order_id=?)" in plan, plan


def test_the_open_orders_are_walked_from_an_index_of_open_orders(tmp_path):
    store = seeded(tmp_path)
    rows = open_orders(store, "main", after=-1, limit=500)
    assert [r.order_id for r in rows] == list(range(90, 100))
    watch_plan = plan_of(store, lambda: open_orders(store, "main", after=-1, limit=500))
    every = plan_of(store, lambda: list(store.due_order_ids("main", NOW, 100, everything=True)))
    assert list(store.due_order_ids("main", NOW, 100, everything=True)) == [list(range(90, 100))]
    store.close()
    assert "orders_open" in watch_plan, watch_plan
    assert "orders_open" in every, every


def test_the_latest_balance_is_one_index_seek(tmp_path):
    store = seeded(tmp_path)
    assert latest_balance(store, "main") == {"at": iso(NOW), "balance": 100.0, "currency": "USD"}
    assert sorted(latest_balances(store)) == [("main", "USD", 100.0), ("other", "USD", 100.0)]
    one = plan_of(store, lambda: latest_balance(store, "main"))
    every = plan_of(store, lambda: latest_balances(store))
    store.close()
    assert "TEMP B-TREE" not in one, one
    # Read at every metrics scrape: not a scan of every balance ever checked.
    assert "SCAN balances" not in every and "balances_panel" in every, every


def test_the_runway_reads_a_days_checks_by_index_even_after_analyze(tmp_path):
    # The runway's checks are read in the order made (a clock set back stamps
    # newer ones earlier), from the day's range of the (panel, at) index. Once
    # the file held statistics (ANALYZE, run by a user or a tool), SQLite read
    # the panel's every check in rowid order instead: 35k a year, at each
    # balance check.
    store = Store(tmp_path / "t.db")
    with store.write() as db:
        for k in range(3000, -1, -1):
            for panel in ("main", "other"):
                db.execute(
                    "INSERT INTO balances (panel, at, balance, currency) VALUES (?, ?, ?, 'USD')",
                    [panel, iso(NOW - timedelta(minutes=15 * k)), 100.0 + k],
                )
        db.execute("ANALYZE")
    since = NOW - timedelta(hours=2)
    rows = balance_history(store, "main", since)
    plan = plan_of(store, lambda: balance_history(store, "main", since))
    store.close()
    assert [r["balance"] for r in rows] == [
        108.0,
        107.0,
        106.0,
        105.0,
        104.0,
        103.0,
        102.0,
        101.0,
        100.0,
    ]
    assert "balances_panel_at (panel=? AND at>?)" in plan, plan

"""What the stall watch reads costs what it returns, not what lies between.

The poll's judging ahead (``run --once``) reads the orders each answer
changed, by ID; those IDs lie anywhere in a panel's orders (a poll asks the
orders due, not a range of IDs), and reading them as the index range from
the least to the greatest read every order in between: all of a
million-order panel's, for each 500 judged. Counted in SQLite's own steps.
"""

from __future__ import annotations

from tracker.store.orders import Store
from tracker.store.watch import open_orders

STAMP = "2026-12-01T00:00:00+00:00"


def _steps_to_read(tmp_path, orders: int, wanted: int = 20) -> tuple[int, int]:
    """Return (rows read, SQLite steps) for ``wanted`` IDs spread over ``orders``."""
    store = Store(tmp_path / f"w{orders}.db")
    try:
        with store.conn:
            store.conn.executemany(
                "INSERT INTO orders (panel, order_id, created_at, updated_at, status) "
                "VALUES ('p', ?, ?, ?, 'In progress')",
                [(i, STAMP, STAMP) for i in range(1, orders + 1)],
            )
        among = list(range(1, orders + 1, orders // wanted))[:wanted]
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        store.conn.set_progress_handler(count, 10)
        try:
            rows = open_orders(store, "p", after=0, limit=len(among), among=among)
        finally:
            store.conn.set_progress_handler(None, 0)
        assert [r.order_id for r in rows] == among
        return len(rows), steps[0]
    finally:
        store.close()


def test_reading_changed_orders_by_id_reads_none_in_between(tmp_path):
    few_rows, few = _steps_to_read(tmp_path, 200)
    many_rows, many = _steps_to_read(tmp_path, 8000)
    assert few_rows == many_rows == 20
    assert many <= few * 1.5, (few, many)  # was 20 x: every order in between

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
from tracker.store.watch_listing import watch_of

STAMP = "2026-12-01T00:00:00+00:00"


def _open_orders(store: Store, orders: int) -> None:
    """Store ``orders`` open orders on panel p, IDs 1 to ``orders``."""
    with store.conn:
        store.conn.executemany(
            "INSERT INTO orders (panel, order_id, created_at, updated_at, status) "
            "VALUES ('p', ?, ?, ?, 'In progress')",
            [(i, STAMP, STAMP) for i in range(1, orders + 1)],
        )


def _stepped(store, read):
    """Run ``read`` and return what it returns and the SQLite steps it took
    (in tens of virtual machine instructions)."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    store.conn.set_progress_handler(count, 10)
    try:
        return read(), steps[0]
    finally:
        store.conn.set_progress_handler(None, 0)


def _steps_to_read(tmp_path, orders: int, wanted: int = 20) -> tuple[int, int]:
    """Return (rows read, SQLite steps) for ``wanted`` IDs spread over ``orders``."""
    store = Store(tmp_path / f"w{orders}.db")
    try:
        _open_orders(store, orders)
        among = list(range(1, orders + 1, orders // wanted))[:wanted]
        rows, steps = _stepped(
            store, lambda: open_orders(store, "p", after=0, limit=len(among), among=among)
        )
        assert [r.order_id for r in rows] == among
        return len(rows), steps
    finally:
        store.close()


def test_reading_changed_orders_by_id_reads_none_in_between(tmp_path):
    few_rows, few = _steps_to_read(tmp_path, 200)
    many_rows, many = _steps_to_read(tmp_path, 8000)
    assert few_rows == many_rows == 20
    assert many <= few * 1.5, (few, many)  # was 20 x: every order in between


def _steps_to_list(tmp_path, orders: int, listed: int = 20) -> tuple[dict, int]:
    """Return (watch rows found, SQLite steps) for the eta and stall of the
    ``listed`` newest of ``orders`` open orders, as `orders` reads them."""
    store = Store(tmp_path / f"l{orders}.db")
    try:
        _open_orders(store, orders)
        with store.conn:
            store.conn.execute(
                "INSERT INTO order_watch (panel, order_id, eta, updated_at) VALUES ('p', ?, ?, ?)",
                (orders, STAMP, STAMP),
            )
        newest = list(range(orders, orders - listed, -1))
        return _stepped(store, lambda: watch_of(store, "p", newest))
    finally:
        store.close()


def test_the_listing_reads_the_watch_of_the_orders_listed_only(tmp_path):
    # `orders` adds each row's eta and stall, 500 rows at a time: driven by
    # the open-status index, each 500 read every open order of the panel
    # (300,000 orders, 30,000 open: `orders --json` took a minute).
    few_found, few = _steps_to_list(tmp_path, 200)
    many_found, many = _steps_to_list(tmp_path, 8000)
    assert few_found[200]["eta"] == many_found[8000]["eta"] == STAMP
    assert len(few_found) == len(many_found) == 1
    assert many <= few * 1.5, (few, many)

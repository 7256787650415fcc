"""The stall watch's rows are stored as given: save_watches binds each None
as a NaN (cheaper for the sqlite3 module than a None; SQLite stores a NaN as
NULL), and must store exactly what the plain upsert with every None bound
stores, column for column and type for type, on any values: text (empty,
"0", quotes, NULs), integers, floats, bytes, NaNs, first as new rows and
then over them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.clock import iso
from tracker.store.orders import Store
from tracker.store.watch import save_watches

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
COLUMNS = (
    "order_id, baseline_at, baseline_remains, eta, eta_basis, stalled_at, stalled_change_at, "
    "stall_reason, judged_key, recheck_at, judged_status, judged_remains, judged_change_at, "
    "judged_service, judged_median, updated_at"
)
SEEN = ", ".join(f"{c}, typeof({c})" for c in COLUMNS.split(", "))

value = (
    st.none()
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
    | st.sampled_from(["", "0", "NULL", "it's", "a\x00b"])
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()  # NaN and infinities too
    | st.binary(max_size=4)
)
states = st.lists(st.tuples(*([value] * 14)), min_size=1, max_size=5)


def _stored(store: Store) -> list[tuple[Any, ...]]:
    return [
        tuple("NaN" if v != v else v for v in row)  # noqa: PLR0124 (a NaN read back, if any)
        for row in store.tuples(f"SELECT {SEEN} FROM order_watch ORDER BY order_id")
    ]


def _orders(store: Store, count: int) -> None:
    with store.write() as db:
        db.execute("DELETE FROM order_watch")
        db.execute("DELETE FROM orders")
        for order_id in range(1, count + 1):
            db.execute(
                "INSERT INTO orders (panel, order_id, status, created_at, updated_at) "
                "VALUES ('main', ?, 'Pending', ?, ?)",
                [order_id, iso(NOW), iso(NOW)],
            )


_NAMES = COLUMNS.split(", ")
PLAIN = (
    f"INSERT INTO order_watch (panel, {COLUMNS}) VALUES ('main', {', '.join('?' * len(_NAMES))}) "
    "ON CONFLICT (panel, order_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _NAMES[1:])
)


def _plain(store: Store, rows: list[tuple[Any, ...]]) -> None:
    """The upsert a row at a time, every value bound as it is, in its own
    statement (not save_watches' own)."""
    with store.write() as db:
        for row in rows:
            db.conn.execute(PLAIN, [*row, iso(NOW)])


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(states, states)
def test_saved_watch_rows_are_what_the_plain_upsert_stores(examples_store, first, then):
    store = examples_store  # _orders clears it
    rounds = [
        [(n, *s) for n, s in enumerate(first, 1)],
        [(n, *s) for n, s in enumerate(then, 1)],  # over the rows stored
    ]
    _orders(store, max(len(first), len(then)))
    for rows in rounds:
        _plain(store, rows)
    expected = _stored(store)
    _orders(store, max(len(first), len(then)))
    for rows in rounds:
        save_watches(store, "main", rows, NOW)
    assert _stored(store) == expected

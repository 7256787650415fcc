"""The judging ahead's read of the orders a poll changed
(tracker.store.watch_changed) gives what the pass's read (watch.open_orders)
gives of the same orders, field for field, the judge key included, on any
stored values: statuses and times as a hostile panel or another tool may have
left them (quotes, NULs, any text), remains that are no integer, any medians.
Its key is worked out in Python: :func:`quote` must say what SQLite's
``quote()`` says of any value."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.clock import iso
from tracker.store.orders import Store
from tracker.store.watch import open_orders
from tracker.store.watch_changed import ChangedRow, changed_orders, due_orders, quote

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SQLITE = sqlite3.connect(":memory:")
LIVE = st.characters(blacklist_categories=("Cs",))  # text SQLite can hold


def sqlite_quote(value: Any) -> str:
    return str(SQLITE.execute("SELECT quote(?)", [value]).fetchone()[0])


hostile_text = st.text(LIVE, max_size=12) | st.sampled_from(
    ["it's", "''", "a\x00b", "\x00", "Ünïcödé 🚀", "NULL", "'; DROP TABLE orders; --"]
)
any_value = (
    st.none()
    | st.integers(-(2**63), 2**63 - 1)
    | hostile_text
    | st.floats(allow_nan=False)
    | st.binary(max_size=6)
)


@given(any_value)
def test_quote_says_what_sqlite_says_of_any_value(value):
    assert quote(value, sqlite_quote) == sqlite_quote(value)


def test_quote_works_out_what_it_knows_without_asking():
    def never(value: Any) -> str:
        raise AssertionError(f"asked SQLite for {value!r}")

    for value in (None, 0, -(2**63), 2**63 - 1, "", "it's", "Ünïcödé 🚀"):
        assert quote(value, never) == sqlite_quote(value)


statuses = st.sampled_from(["Pending", "In progress", "Processing", "Completed", None])
stored_moment = st.none() | st.just(iso(NOW)) | hostile_text
remains = st.none() | st.integers(-(2**63), 2**63 - 1) | st.sampled_from([1.5, "12", b"\x01"])
services = st.none() | st.integers(-3, 3) | st.just(2**63 - 1)

orders = st.lists(
    st.tuples(
        statuses | hostile_text,
        remains,
        services,
        stored_moment,
        st.booleans(),  # polled
        st.none() | st.booleans(),  # watch row: none, judged by these facts or not
    ),
    min_size=1,
    max_size=8,
)
medians = st.dictionaries(
    st.integers(-3, 3), st.floats(allow_nan=False) | st.integers(0, 10**6), max_size=4
)


@settings(
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(orders, medians)
def test_changed_orders_read_what_open_orders_read(examples_store, found, known):
    store = examples_store  # cleared below
    with store.write() as db:
        db.execute("DELETE FROM order_watch")
        db.execute("DELETE FROM orders")
        for order_id, (status, left, service, last, polled, watch) in enumerate(found, 1):
            db.execute(
                "INSERT INTO orders (panel, order_id, status, polling, remains, service, "
                "quantity, created_at, updated_at, last_change_at) "
                "VALUES ('main', ?, ?, ?, ?, ?, 1000, ?, ?, ?)",
                [order_id, status, int(polled), left, service, iso(NOW), iso(NOW), last],
            )
            if watch is not None:
                same = [status, left, last, service, known.get(service or 0)]
                db.execute(
                    "INSERT INTO order_watch (panel, order_id, updated_at, recheck_at, "
                    "judged_status, judged_remains, judged_change_at, judged_service, "
                    "judged_median) VALUES ('main', ?, ?, ?, ?, ?, ?, ?, ?)",
                    [order_id, iso(NOW), last, *(same if watch else ["x", 1, "y", 9, 0.5])],
                )
    ids = list(range(1, len(found) + 1))
    fast = changed_orders(store, "main", ids, known)
    full = open_orders(store, "main", after=0, limit=len(ids), medians=known, among=ids)
    assert fast == [ChangedRow._make(getattr(r, f) for f in ChangedRow._fields) for r in full]


def test_no_orders_asked_reads_none(tmp_path):
    store = Store(tmp_path / "t.db")
    try:
        assert changed_orders(store, "main", [], {}) == []
    finally:
        store.close()


# Values that repeat across the rows and columns of one read, as a poll's
# changed orders share their statuses and stamp: the same text as a status
# and as a last change, digits as text and as an integer, text and a blob of
# the same bytes, quotes and NULs, floats whose digits are not Python's.
SHARED = ["it's", "a\x00b", "12", iso(NOW), "", "Processing", b"it's", 12, 1.5, 1e20, 0.1, None]


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(*[st.sampled_from(SHARED)] * 3, st.sampled_from([None, 1, 12, 2**63 - 1])),
        min_size=2,
        max_size=30,
    )
)
def test_texts_met_again_in_a_read_are_keyed_as_sqlite_quotes_them(examples_store, found):
    store = examples_store  # its orders cleared below (its watch rows: none written)
    with store.write() as db:
        db.execute("DELETE FROM orders")
        for order_id, (status, left, last, service) in enumerate(found, 1):
            db.execute(
                "INSERT INTO orders (panel, order_id, status, polling, remains, service, "
                "quantity, created_at, updated_at, last_change_at) "
                "VALUES ('main', ?, ?, 1, ?, ?, 1000, ?, ?, ?)",
                [order_id, status, left, service, iso(NOW), iso(NOW), last],
            )
    ids = list(range(1, len(found) + 1))
    full = open_orders(store, "main", after=0, limit=len(ids), among=ids)
    keys = [r.judge_key for r in full]
    assert [r.judge_key for r in changed_orders(store, "main", ids, {})] == keys
    pass_read = due_orders(store, "main", after=0, limit=len(ids), medians={}, due=NOW)
    assert [r.judge_key for r in pass_read] == keys

import sqlite3

import pytest

from tracker.errors import StoreError
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import Cadence
from tracker.store.orders import Store

CADENCE = Cadence(every=300, max_every=300)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.db")
    yield s
    s.close()


def test_migrations_create_the_documented_schema(store):
    tables = set(store.db.table_names())
    assert {"orders", "transitions", "_sqlite_migrations"} <= tables
    columns = set(store.db["orders"].columns_dict)
    assert {
        "panel",
        "order_id",
        "service",
        "link",
        "quantity",
        "status",
        "remains",
        "start_count",
        "charge",
        "currency",
        "created_at",
        "updated_at",
        "completed_at",
        "last_checked_at",
        "error",
    } <= columns
    assert set(store.db["transitions"].columns_dict) >= {
        "panel",
        "order_id",
        "at",
        "from_status",
        "to_status",
        "remains",
        "charge",
    }
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_reopening_applies_nothing_twice(tmp_path):
    Store(tmp_path / "t.db").close()
    again = Store(tmp_path / "t.db")
    names = [r["name"] for r in again.rows("SELECT name FROM _sqlite_migrations")]
    assert len(names) == len(set(names))


def test_track_is_idempotent_and_fills_missing_details(store, clock):
    assert store.track("main", [3, 1, 2, 2], clock()) == 3
    assert store.track("main", [1, 4], clock(), link="https://x.test/p") == 1
    assert store.order("main", 1)["link"] == "https://x.test/p"
    assert store.order("main", 2)["link"] is None


def test_due_ids_are_streamed_in_batches(store, clock):
    store.track("main", list(range(1, 251)), clock())
    batches = list(store.due_order_ids("main", clock(), 100))
    assert [len(b) for b in batches] == [100, 100, 50]
    assert sorted(i for b in batches for i in b) == list(range(1, 251))


@pytest.mark.parametrize("everything", [False, True])
def test_due_ids_are_read_a_page_of_many_batches_per_statement(store, clock, everything):
    # Each statement gives up the GIL and waits for it back from the poll's
    # threads: a statement per batch of 100 cost 200 waits at 20k orders.
    store.track("main", list(range(1, 2501)), clock())
    batches: list[list[int]] = []
    ran = _statements(
        store,
        lambda: batches.extend(store.due_order_ids("main", clock(), 100, everything=everything)),
    )
    assert [len(b) for b in batches] == [100] * 25
    assert sorted(i for b in batches for i in b) == list(range(1, 2501))
    assert ran.count("SELECT") <= 6  # 2,500 IDs at most 1,000 a statement, and the ends


def test_apply_reports_records_each_change_once(store, clock):
    store.track("main", [1, 2], clock())
    reports = {
        1: OrderStatus(1, status="Pending", remains=10),
        2: OrderStatus(2, error="Incorrect order ID"),
    }
    first = store.apply_reports("main", [1, 2], reports, clock(), CADENCE)
    again = store.apply_reports("main", [1, 2], reports, clock(), CADENCE)
    assert len(first) == 1 and again == []
    assert [h["to_status"] for h in store.history("main", 1)] == ["Pending"]
    assert store.order("main", 2)["error"] == "Incorrect order ID"


def test_a_report_without_a_value_keeps_the_stored_one_and_completion_is_set_once(store, clock):
    # What the batched UPDATEs write, read back from the table: numbers the
    # panel leaves out keep their stored value, completed_at is set once.
    from decimal import Decimal

    store.track("main", [1, 2], clock())

    def report(order_id, status, **values):
        return OrderStatus(order_id, status=status, raw_status=status, **values)

    full = {"remains": 500, "charge": Decimal("0.9"), "start_count": 10, "currency": "USD"}
    store.apply_reports(
        "main", [1, 2], {i: report(i, "In progress", **full) for i in (1, 2)}, clock(), CADENCE
    )
    clock.advance(60)
    bare = {1: report(1, "In progress"), 2: report(2, "Processing")}  # kept, then moved
    store.apply_reports("main", [1, 2], bare, clock(), CADENCE)
    for order_id, status in ((1, "In progress"), (2, "Processing")):
        row = store.order("main", order_id)
        assert row["status"] == status
        assert (row["remains"], row["charge"], row["start_count"], row["currency"]) == (
            500,
            0.9,
            10,
            "USD",
        )
    clock.advance(60)
    done_at = clock()
    store.apply_reports("main", [1], {1: report(1, "Completed", remains=0)}, done_at, CADENCE)
    clock.advance(60)
    store.apply_reports("main", [1], {1: report(1, "Completed", remains=0)}, clock(), CADENCE)
    row = store.order("main", 1)
    assert row["completed_at"] == done_at.isoformat(timespec="seconds")
    assert row["polling"] == 0 and row["remains"] == 0
    assert [h["to_status"] for h in store.history("main", 1)] == ["In progress", "Completed"]


def test_answers_stored_together_survive_or_fail_together(store, clock, monkeypatch):
    store.track("main", [1, 2, 3], clock())
    answers = [
        ([1, 2], {1: OrderStatus(1, status="Pending"), 2: OrderStatus(2, status="Pending")}),
        ([3], {3: OrderStatus(3, status="In progress", remains=5)}),
    ]
    recorded = store.apply_answers("main", answers, clock(), CADENCE)
    assert sorted(t["order_id"] for t in recorded) == [1, 2, 3]
    assert [store.order("main", i)["status"] for i in (1, 2, 3)] == ["Pending"] * 2 + [
        "In progress"
    ]

    # The write fails half-way, the orders updated and their transitions not
    # yet inserted: neither answer is kept, nor any part of one.
    import tracker.store.answers as answers_module

    real, calls = answers_module._write_rows, []

    def failing(conn, sql, rows, *first):
        calls.append(rows)
        if len(calls) == 2:
            raise RuntimeError("killed mid-write")
        return real(conn, sql, rows, *first)

    monkeypatch.setattr(answers_module, "_write_rows", failing)
    later = [
        ([1, 2], {1: OrderStatus(1, status="Completed"), 2: OrderStatus(2, status="Completed")}),
        ([3], {3: OrderStatus(3, status="Completed")}),
    ]
    with pytest.raises(RuntimeError):
        store.apply_answers("main", later, clock(), CADENCE)
    assert [store.order("main", i)["status"] for i in (1, 2, 3)] == ["Pending"] * 2 + [
        "In progress"
    ]
    assert len(store.history("main", 1)) == 1


def test_checked_orders_are_not_due_until_their_next_check(store, clock):
    store.track("main", [1], clock())
    store.apply_reports("main", [1], {1: OrderStatus(1, status="Pending")}, clock(), CADENCE)
    assert list(store.due_order_ids("main", clock(), 100)) == []
    assert list(store.due_order_ids("main", clock(), 100, everything=True)) == [[1]]
    clock.advance(300)
    assert list(store.due_order_ids("main", clock(), 100)) == [[1]]


def test_a_failed_write_leaves_nothing_half_written(store, clock):
    store.track("main", [1], clock())
    with pytest.raises(RuntimeError):
        with store.write() as db:
            db.execute("UPDATE orders SET status = 'Completed' WHERE order_id = 1")
            raise RuntimeError("crash mid-poll")
    assert store.order("main", 1)["status"] is None


def test_missing_directory_is_one_clear_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "nope" / "t.db")


def test_not_a_database_is_one_clear_error(tmp_path):
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not an SQLite database"):
        Store(path)


def test_readers_work_while_another_connection_writes(store, clock, tmp_path):
    store.track("main", [1], clock())
    other = sqlite3.connect(tmp_path / "t.db")
    other.execute("BEGIN IMMEDIATE")
    try:
        assert store.order("main", 1)["order_id"] == 1
    finally:
        other.rollback()


def test_the_schema_list_names_every_migration_in_order():
    from tracker.store.migrations import migrations
    from tracker.store.schema import MIGRATIONS

    registered = tuple(m.name for m in migrations._migrations)
    assert registered == MIGRATIONS, (
        "tracker/store/schema.py MIGRATIONS must list every migration of "
        "tracker/store/migrations.py, in order"
    )


def test_a_current_database_opens_without_the_migration_machinery(tmp_path):
    import subprocess
    import sys

    Store(tmp_path / "t.db").close()  # creates and migrates
    code = (
        "import sys; from tracker.store.orders import Store; "
        f"s = Store({str(tmp_path / 't.db')!r}); s.rows('SELECT * FROM orders'); "
        "print('sqlite_utils' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _statements(store, work):
    """Return the statements SQLite ran for ``work()``, by their first word."""
    ran: list[str] = []
    store.conn.set_trace_callback(ran.append)
    try:
        work()
    finally:
        store.conn.set_trace_callback(None)
    return [sql.split()[0].upper() for sql in ran]


def test_a_group_of_answers_is_stored_in_one_statement_of_each_kind(store, clock):
    # Four answers of 100 orders, stored together: one read of the stored
    # rows, one update, one insert of the transitions, not one of each per
    # answer (each statement gives up the GIL the poll's threads wait on).
    store.track("main", list(range(1, 401)), clock())
    answers = [
        (ids, {i: OrderStatus(i, status="In progress", remains=5) for i in ids})
        for ids in (list(range(start, start + 100)) for start in range(1, 401, 100))
    ]
    ran = _statements(store, lambda: store.apply_answers("main", answers, clock(), CADENCE))
    assert [s for s in ran if s in ("SELECT", "UPDATE", "INSERT")] == ["SELECT", "UPDATE", "INSERT"]
    assert len(store.history("main", 400)) == 1


def test_a_new_status_of_an_order_still_polled_leaves_the_polling_indexes_alone(store, clock):
    # When every order changes (a sweep after an outage), naming polling in
    # the UPDATE re-indexed orders_open and orders_created_day for each row
    # (~2 us an order) though it stays 1; an order that ends still sets it.
    store.track("main", [1, 2, 3], clock())
    store.apply_answers(
        "main", [([1, 2, 3], {i: OrderStatus(i, "Pending") for i in (1, 2, 3)})], clock(), CADENCE
    )
    ran: list[str] = []
    store.conn.set_trace_callback(ran.append)
    try:
        reports = {1: OrderStatus(1, "In progress"), 2: OrderStatus(2, "In progress")}
        reports[3] = OrderStatus(3, "Completed", remains=0)
        store.apply_answers("main", [([1, 2, 3], reports)], clock(), CADENCE)
    finally:
        store.conn.set_trace_callback(None)
    updates = [sql for sql in ran if sql.split()[0].upper() == "UPDATE"]
    assert len(updates) == 2
    assert sum("polling = v.column" in sql for sql in updates) == 1  # the order that ended
    assert [o["polling"] for o in (store.order("main", i) for i in (1, 2, 3))] == [1, 1, 0]
    assert [o["status"] for o in (store.order("main", i) for i in (1, 2, 3))] == [
        "In progress",
        "In progress",
        "Completed",
    ]


def test_an_order_in_two_answers_of_a_group_gets_each_answer_in_turn(store, clock):
    store.track("main", [1, 2], clock())
    answers = [
        ([1], {1: OrderStatus(1, status="Pending")}),
        ([1, 2], {1: OrderStatus(1, status="In progress"), 2: OrderStatus(2, status="Pending")}),
    ]
    recorded = store.apply_answers("main", answers, clock(), CADENCE)
    assert [(t["order_id"], t["to_status"]) for t in recorded] == [
        (1, "Pending"),
        (1, "In progress"),
        (2, "Pending"),
    ]
    assert [h["to_status"] for h in store.history("main", 1)] == ["Pending", "In progress"]


def test_the_writers_statements_keep_temporary_storage_in_memory_and_no_other(
    store, clock, monkeypatch
):
    # A 400-row UPDATE's statement journal outgrew SQLite's 64 KiB and went to
    # a temporary file created and unlinked at every statement; the writer's
    # statements (at most 500 rows each) now keep it in memory. Every other
    # statement spills to a file as before (0: the build's default), also
    # after a write that failed half-way.
    import tracker.store.answers as answers_module

    def temp_store() -> int:
        return store.conn.execute("PRAGMA temp_store").fetchone()[0]

    store.track("main", list(range(1, 401)), clock())
    real, seen = answers_module._write_rows, []

    def spying(conn, sql, rows, *first):
        seen.append(temp_store())
        if len(seen) == 3:
            raise RuntimeError("killed mid-write")
        return real(conn, sql, rows, *first)

    monkeypatch.setattr(answers_module, "_write_rows", spying)
    answers = [
        (ids, {i: OrderStatus(i, status="In progress", remains=5) for i in ids})
        for ids in (list(range(start, start + 100)) for start in range(1, 401, 100))
    ]
    store.apply_answers("main", answers, clock(), CADENCE)
    assert seen == [2, 2]  # the orders' UPDATE, the transitions' INSERT
    assert temp_store() == 0
    with store.write() as db:
        assert db.conn.execute("PRAGMA temp_store").fetchone()[0] == 0
    for report in answers[0][1].values():
        answers[0][1][report.order_id] = report._replace(status="Completed", remains=0)
    with pytest.raises(RuntimeError):
        store.apply_answers("main", answers[:1], clock(), CADENCE)
    assert temp_store() == 0
    assert store.order("main", 1)["status"] == "In progress"


def test_answers_store_alike_with_temporary_storage_in_memory_or_on_file(
    tmp_path, clock, monkeypatch
):
    # Where SQLite keeps its statement journal changes no row: generated
    # answers, hostile ones among them (absurd remains, errors, unknown words,
    # a currency changed, IDs left out), stored through both give the same
    # orders and transitions.
    import random
    from datetime import timedelta
    from decimal import Decimal

    import tracker.store.connection as connection

    rng = random.Random(15)
    words = ["Pending", "In progress", "Processing", "Completed", "Partial", "Canceled", "Odd"]
    polls = []
    for _ in range(4):
        reports = {}
        for i in range(1, 601):
            pick = rng.random()
            if pick < 0.05:
                continue  # left out of the answer
            if pick < 0.1:
                reports[i] = OrderStatus(i, error="Incorrect order ID")
                continue
            word = rng.choice(words)
            reports[i] = OrderStatus(
                i,
                word,
                f" {word}: reason ",
                word != "Odd",
                Decimal(rng.choice(["0.9", "0.123456789012345678", "-1", "1e9"])),
                rng.choice([None, 0, 10**12]),
                rng.choice([None, 0, 5, -3, 99_999_999_999, 2**62]),
                rng.choice([None, "USD", "RUB"]),
            )
        polls.append([(list(range(s, s + 100)), reports) for s in range(1, 601, 100)])
    stores = {}
    in_memory = connection.memory_temp
    for name in ("memory", "file"):
        if name == "file":  # as before: never kept in memory
            monkeypatch.setattr(connection, "memory_temp", lambda conn, _: in_memory(conn, False))
        store = stores[name] = Store(tmp_path / f"{name}.db")
        store.track("main", list(range(1, 601)), clock())
        for step, answers in enumerate(polls):
            at = clock() + timedelta(minutes=10 * step)
            store.apply_answers("main", answers, at, CADENCE, lost=[], odd=[], repriced=[])
    tables = {
        name: [
            sorted(map(repr, store.conn.execute(f"SELECT * FROM {table}")))
            for table in ("orders", "transitions", "late_checks")
        ]
        for name, store in stores.items()
    }
    for store in stores.values():
        store.close()
    assert tables["memory"] == tables["file"]
    assert len(tables["memory"][1]) > 600  # transitions: the answers moved orders

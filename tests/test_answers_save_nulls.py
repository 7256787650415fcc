"""The poll's writer binds each None as a NaN (cheaper for the sqlite3 module
than a None; SQLite stores a NaN as NULL: ``store.sql.bound``), and
must store exactly what it stores with every None bound as it is: every
table, column for column and type for type, on any answers, well-formed and
hostile (odd statuses and text, NULs, huge and negative numbers, NaN
charges, errors, IDs left out), over several polls of the same orders."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from fresh_schema import fresh_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import StoreError
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import Cadence
from tracker.store import answers
from tracker.store.orders import Store
from tracker.store.sql import bound

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CADENCE = Cadence(every=300, max_every=3600, late_checks=(3600.0, 86400.0))
IDS = range(1, 6)

text = st.none() | st.sampled_from(["", "0", "NULL", "it's", "a\x00b", "USD", "RUB", "é"])
status = text | st.sampled_from(
    ["Pending", "In progress", "Processing", "Completed", "Partial", "Canceled", "Refunded"]
)
number = st.none() | st.integers(-(2**63), 2**63 - 1) | st.integers(-5, 1500)
charge = (
    st.none()
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.sampled_from([Decimal("NaN"), Decimal("0.90"), Decimal("-1"), Decimal("1e30")])
)


@st.composite
def report(draw: st.DrawFn, order_id: int) -> OrderStatus | None:
    if draw(st.integers(0, 9)) == 0:
        return None  # left out of the answer
    if draw(st.integers(0, 9)) == 0:
        return OrderStatus(order_id, error=draw(st.sampled_from(["Incorrect order ID", "x\x00"])))
    said = draw(status)
    return OrderStatus(
        order_id, said, draw(text | st.just(said)), True, draw(charge), draw(number),
        draw(number), draw(text),
    )  # fmt: skip


answer = st.tuples(*[report(i) for i in IDS])
polls = st.lists(answer, min_size=1, max_size=4)


def _plain(rows: list[tuple[Any, ...]]) -> list[Any]:
    """Every value bound as it is, None as None."""
    return [v for row in rows for v in row]


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations' ORDER BY name"
            )
        ]
        found = {}
        for name in names:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
            seen = ", ".join(f"{c}, typeof({c})" for c in columns)
            found[name] = [
                tuple("NaN" if v != v else v for v in row)  # noqa: PLR0124 (a NaN, if any)
                for row in conn.execute(f"SELECT {seen} FROM {name} ORDER BY {', '.join(columns)}")
            ]
        return found
    finally:
        conn.close()


def _stored(
    path: Path, rounds: list[tuple[OrderStatus | None, ...]], rows: tuple[Any, ...] = ()
) -> list[Any]:
    """Track the orders (the first with ``rows``' status, polling and
    completed_at when given), store each round as one poll; return what each
    poll handed back (transitions, lost, odd, repriced)."""
    fresh_file(path)  # a new database each time, copied
    store = Store(path)
    told: list[Any] = []
    try:
        store.track("main", list(IDS), NOW, quantity=1000)
        with store.write() as db:
            for order_id, row in zip(IDS, rows, strict=False):
                db.execute(
                    "UPDATE orders SET status = ?, polling = ?, completed_at = ? "
                    "WHERE order_id = ?",
                    [*row, order_id],
                )
        for n, reports in enumerate(rounds, 1):
            now = NOW + timedelta(hours=n)
            found = {r.order_id: r for r in reports if r is not None}
            lost: list[Any] = []
            odd: list[Any] = []
            repriced: list[Any] = []
            try:
                moved: Any = store.apply_answers(
                    "main", [(list(IDS), found)], now, CADENCE, polled_at=now,
                    lost=lost, odd=odd, repriced=repriced,
                )  # fmt: skip
            except StoreError as exc:  # refused alike both ways, the file named
                moved = str(exc).replace(str(path), "DB")
            told.append((moved, lost, odd, repriced))
    finally:
        store.close()
    return told


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(polls)
def test_the_writer_stores_what_it_stores_with_every_none_bound(tmp_path, rounds):
    with patch.object(answers, "bound", _plain):
        told_plain = _stored(tmp_path / "plain.db", rounds)
    told = _stored(tmp_path / "nan.db", rounds)
    assert _tables(tmp_path / "nan.db") == _tables(tmp_path / "plain.db")
    assert repr(told) == repr(told_plain)


class _Recording(sqlite3.Connection):
    bound: list[Any] = []

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if args and sql.startswith(("UPDATE", "INSERT INTO transitions")):
            _Recording.bound.extend(args[0])
        return super().execute(sql, *args)


def test_the_writer_binds_no_none(tmp_path, monkeypatch):
    # The first sight of an order still open: no completed_at, no from_status.
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, **k, factory=_Recording))
    store = Store(tmp_path / "t.db")
    try:
        store.track("main", [1, 2], NOW)
        _Recording.bound.clear()
        found = {i: OrderStatus(i, "Pending", "Pending", remains=10) for i in (1, 2)}
        moved = store.apply_answers("main", [([1, 2], found)], NOW, CADENCE)
    finally:
        store.close()
    assert [(t["from_status"], t["to_status"]) for t in moved] == [(None, "Pending")] * 2
    assert _Recording.bound and None not in _Recording.bound
    row = sqlite3.connect(tmp_path / "t.db").execute(
        "SELECT completed_at, start_count, charge, typeof(charge) FROM orders WHERE order_id = 1"
    )
    assert row.fetchone() == (None, None, None, "null")


@pytest.mark.parametrize("value", [None, float("nan")])
def test_a_not_null_column_refuses_a_none_bound_as_a_nan(tmp_path, value):
    store = Store(tmp_path / "t.db")
    try:
        with pytest.raises(StoreError, match="NOT NULL constraint failed: transitions.at"):  # noqa: SIM117
            with store.write() as db:
                db.execute(
                    "INSERT INTO transitions (panel, order_id, at, to_status) VALUES (?, ?, ?, ?)",
                    bound([("main", 1, value, "Pending")]),
                )
    finally:
        store.close()

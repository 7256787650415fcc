"""The writer's hot path (status_update) decides exactly what apply_report decides."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tracker.clock import iso
from tracker.panel.models import OrderStatus
from tracker.rules.status_tuples import (
    KEEP_IF_NONE,
    STATUS_READS,
    STATUS_STAMPED,
    STATUS_WRITES,
    status_update,
)
from tracker.rules.transitions import STATUS_RESETS, Cadence, apply_report

CADENCE = Cadence(every=300, max_every=3600)
NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
STATUSES = [None, "Pending", "In progress", "Completed", "Partial", "Canceled", "Weird"]
STAMPS = st.one_of(
    st.none(), st.sampled_from([iso(NOW - timedelta(hours=h)) for h in (1, 5, 30, 200)])
)

rows = st.fixed_dictionaries(
    {
        "panel": st.just("main"),
        "order_id": st.integers(1, 10**9),
        "status": st.sampled_from(STATUSES),
        "raw_status": st.sampled_from([None, "pending", "Done"]),
        "remains": st.one_of(st.none(), st.integers(0, 1000)),
        "start_count": st.one_of(st.none(), st.integers(0, 50)),
        "currency": st.sampled_from([None, "USD"]),
        "charge": st.one_of(st.none(), st.floats(0, 10, allow_nan=False)),
        "completed_at": STAMPS,
        "last_change_at": STAMPS,
        "last_checked_at": STAMPS,
        "next_check_at": STAMPS,
        "updated_at": st.just(iso(NOW - timedelta(days=1))),
        "created_at": st.just(iso(NOW - timedelta(days=2))),
        "error": st.sampled_from([None, "Incorrect order ID"]),
        "error_count": st.integers(0, 2),
        "polling": st.integers(0, 1),
    }
)
reports = st.builds(
    OrderStatus,
    order_id=st.just(0),
    status=st.sampled_from(STATUSES[1:]),
    raw_status=st.sampled_from(["In progress", "completed", "x"]),
    charge=st.one_of(st.none(), st.decimals("0", "9", places=3)),
    start_count=st.one_of(st.none(), st.integers(0, 50)),
    remains=st.one_of(st.none(), st.integers(0, 1000)),
    currency=st.sampled_from([None, "USD", "EUR"]),
    error=st.none(),  # the store sends reports with an error down the general path
)


def written(row: dict, values: tuple, stamp: str) -> dict:
    """Return ``row`` after the store's UPDATE of STATUS_WRITES ``values``
    (STATUS_STAMPED set to ``stamp``)."""
    after = {**row, **STATUS_RESETS, **dict.fromkeys(STATUS_STAMPED, stamp)}
    for column, value in zip(STATUS_WRITES, values, strict=True):
        if column == "completed_at":
            after[column] = row[column] or value
        elif column in KEEP_IF_NONE:
            after[column] = row[column] if value is None else value
        else:
            after[column] = value
    return after


@given(row=rows, report=reports, minutes=st.integers(0, 90))
def test_status_update_matches_apply_report(row, report, minutes):
    now = NOW + timedelta(minutes=minutes)
    polled_at = NOW
    outcome = apply_report(row, report, now, CADENCE, polled_at=polled_at)
    stored = tuple(row[c] for c in STATUS_READS)
    values, whole, transition = status_update("main", stored, report, iso(now), polled_at, CADENCE)
    assert written(row, values, iso(now)) == {**row, **outcome.changes}
    assert transition == outcome.transition
    if not whole:  # the narrow write leaves status and polling as they are
        assert outcome.changes["status"] == row["status"]
        assert outcome.changes["polling"] == row["polling"]


def test_a_charge_comes_back_as_a_float():
    row = {c: None for c in STATUS_READS} | {"order_id": 1, "polling": 1}
    stored = tuple(row[c] for c in STATUS_READS)
    report = OrderStatus(1, status="Completed", charge=Decimal("1.5"), remains=0)
    values, whole, transition = status_update("main", stored, report, iso(NOW), NOW, CADENCE)
    assert whole and transition is not None and transition["charge"] == 1.5
    assert values[STATUS_WRITES.index("completed_at")] == iso(NOW)

"""The stall watch's quick path (tracker.rules.quick_stalls, jobs.judging.quick_row)
stores what its reference (judge_row: rules.stalls on datetimes) stores, for
any open order it takes, and leaves to the reference only what raises an
event or is stalled. Hypothesis builds the rows: any status, remains,
baseline, eta, stored moments in any offset, any thresholds and medians."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.clock import iso, micros
from tracker.config.model import AutomationConfig
from tracker.jobs.judging import judge_row, quick_row
from tracker.rules.quick_stalls import span
from tracker.store.watch import OpenRow
from tracker.store.watch_changed import ChangedRow

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def narrow(row: OpenRow) -> ChangedRow:
    """The row as the narrow read gives it (the same values, fewer fields)."""
    return ChangedRow._make(getattr(row, f) for f in ChangedRow._fields)


STATUSES = ["Pending", "In progress", "Processing", "Partial", "Awaiting", None]


def moments(within_days: int = 40) -> st.SearchStrategy[datetime]:
    return st.integers(0, within_days * 86400).map(lambda s: T0 + timedelta(seconds=s))


def stored(moment: datetime, offset_hours: int) -> str:
    """A moment as stored: as iso() writes it, or (rows from older versions or
    other tools) in another offset."""
    if offset_hours == 0:
        return iso(moment)
    return moment.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


maybe_moment = st.none() | st.tuples(moments(), st.sampled_from([0, 0, 0, 2, -5]))
remains = st.none() | st.integers(-5, 3000) | st.sampled_from([0, 10**12])
thresholds = st.none() | st.floats(1.0, 30 * 86400.0) | st.sampled_from([3600.0, 0.5])


# Each strategy made once, here: one made inside a draw is a new object each
# example, whose properties Hypothesis works out again (most of the time
# the property tests below took, for the same examples).
per_services = st.sampled_from([(), ((3, (("In progress", 1800.0),)),)])
overdues = st.sampled_from([0.0, 2.0, 1.5, 1.0, 3.3])


@st.composite
def configs(draw: st.DrawFn) -> AutomationConfig:
    after = tuple(
        (status, seconds)
        for status in ("Pending", "In progress", "Processing")
        if (seconds := draw(thresholds)) is not None
    )
    per_service = draw(per_services)
    return AutomationConfig(
        stalls=draw(st.booleans()),
        stall_after=after,
        stall_after_service=per_service,
        eta_overdue=draw(overdues),
    )


KEY = "'In progress',500"
ANY = {  # the strategy of each field, made once (above)
    "order_id": st.integers(1, 10**6),
    "status": st.sampled_from(STATUSES),
    "service": st.sampled_from([None, 1, 3]),
    "quantity": st.none() | st.integers(1, 5000),
    "created": moments(),
    "created_offset": st.sampled_from([0, 0, 3]),
    "last": st.none() | moments(),
    "last_missing": st.sampled_from([None, ""]),
    "eta_basis": st.sampled_from([None, "rate", "median"]),
    "stalled_at": st.sampled_from([None, None, None, "", iso(T0)]),
    "stalled_change_at": st.sampled_from([None, "", iso(T0)]),
    "stall_reason": st.sampled_from([None, "slow"]),
    "flag": st.sampled_from([0, 1]),
    "judged_key": st.sampled_from([KEY, "other", None]),
    "recheck_at": st.none() | moments(60).map(iso),
    "median": st.sampled_from([None, 3600.0]),
}


@st.composite
def rows(draw: st.DrawFn) -> OpenRow:
    def text(value: tuple[datetime, int] | None) -> str | None:
        return None if value is None else stored(*value)

    created = draw(ANY["created"])
    last = draw(ANY["last"])
    return OpenRow(
        order_id=draw(ANY["order_id"]),
        status=draw(ANY["status"]),
        service=draw(ANY["service"]),
        quantity=draw(ANY["quantity"]),
        remains=draw(remains),
        start_count=None,
        charge=None,
        currency=None,
        created_at=stored(created, draw(ANY["created_offset"])),
        last_change_at=draw(ANY["last_missing"]) if last is None else iso(last),
        baseline_at=text(draw(maybe_moment)),
        baseline_remains=draw(remains),
        eta=text(draw(maybe_moment)),
        eta_basis=draw(ANY["eta_basis"]),
        stalled_at=draw(ANY["stalled_at"]),
        stalled_change_at=draw(ANY["stalled_change_at"]),
        stall_reason=draw(ANY["stall_reason"]),
        watched=draw(ANY["flag"]),
        judged_key=draw(ANY["judged_key"]),
        recheck_at=draw(ANY["recheck_at"]),
        judge_key=KEY,
        unchanged=draw(ANY["flag"]),
        median=draw(ANY["median"]),
    )


@settings(max_examples=1500, deadline=None)
@given(
    row=rows(),
    config=configs(),
    median=st.none() | st.floats(1.0, 60 * 86400.0),
    now=st.integers(0, 70 * 86400 * 10**6).map(lambda us: T0 + timedelta(microseconds=us)),
)
def test_the_quick_path_stores_what_the_reference_stores(row, config, median, now):
    medians = {} if median is None else {row.service or 0: median}
    verdict, _before, columns = judge_row(row, config, medians, now)
    quick, quick_columns = quick_row(narrow(row), config, medians, micros(now))
    if quick:
        assert verdict.event is None
        assert quick_columns == columns
    else:  # left to the reference only when it is stalled or stalls now
        assert row.stalled_at or verdict.event is not None


def test_an_unchanged_order_is_not_stored_again():
    config = AutomationConfig()
    now = T0 + timedelta(hours=2)
    row = OpenRow(
        7, "In progress", None, 1000, 400, None, None, None, iso(T0), iso(T0 + timedelta(hours=1)),
        iso(T0), 1000, None, None, None, None, None, 1, "k", None, "k",
    )  # fmt: skip
    quick, columns = quick_row(narrow(row), config, {}, micros(now))
    assert quick and columns is not None
    eta = columns[3]
    assert eta == iso(T0 + timedelta(hours=1, seconds=3600 * 400 / 600))  # the rate so far
    judged = row._replace(eta=eta, eta_basis="rate", recheck_at=columns[9], unchanged=1)
    assert quick_row(narrow(judged), config, {}, micros(now)) == (True, None)


def _delivering(last: datetime, base_at: datetime, base_remains: int, remains: int) -> OpenRow:
    return OpenRow(
        7, "In progress", None, 1000, remains, None, None, None, iso(T0), iso(last),
        iso(base_at), base_remains, None, None, None, None, None, 1, "k", None, "k",
    )  # fmt: skip


def test_the_quick_path_agrees_to_the_microsecond_at_every_edge():
    # Moments a random row rarely lands on: a second only timedelta's rounding
    # reaches (3 of 6 delivered in an hour: 3599.9999999999995 s left), and
    # "now" exactly at, or a microsecond either side of, the threshold and the
    # point past which the order is far past its eta.
    config = AutomationConfig(stall_after=(("In progress", 3600.0),), eta_overdue=2.0)
    last = T0 + timedelta(seconds=100)
    rounded = _delivering(last, last - timedelta(hours=1), 6, 3)
    quick, columns = quick_row(narrow(rounded), config, {}, micros(last))
    assert quick and columns == judge_row(rounded, config, {}, last)[2]
    assert columns is not None and columns[3] == iso(last + timedelta(hours=1))

    row = _delivering(last, T0, 1000, 500)  # eta T0 + 200 s: far past it at T0 + 400 s
    one = timedelta(microseconds=1)
    no_overdue = AutomationConfig(stall_after=(("In progress", 3600.0),), eta_overdue=0.0)
    for settings_, edge in (
        (config, T0 + timedelta(seconds=400)),
        (no_overdue, last + timedelta(seconds=3600)),
    ):
        for now in (edge - one, edge, edge + one):
            verdict, _before, expected = judge_row(row, settings_, {}, now)
            quick, columns = quick_row(narrow(row), settings_, {}, micros(now))
            assert quick == (verdict.event is None), now
            assert columns == (expected if quick else None), now


def _timedelta_span(seconds: float) -> int | str:
    try:
        return timedelta(seconds=seconds) // timedelta(microseconds=1)
    except (OverflowError, ValueError) as exc:
        return type(exc).__name__


def _span(seconds: float) -> int | str:
    try:
        return span(seconds)
    except (OverflowError, ValueError) as exc:
        return type(exc).__name__


# Halves of a microsecond (where the rounding goes to the even sum), sums of
# powers of two (exact floats), anything else, and ints (medians may be).
half_micros = st.integers(-(10**12), 10**12).map(lambda k: k / 2_000_000)
exact = st.tuples(st.integers(-(2**40), 2**40), st.integers(0, 60)).map(lambda p: p[0] / 2 ** p[1])
any_seconds = st.floats() | half_micros | exact | st.integers(-(10**15), 10**15)


@settings(max_examples=3000)
@given(any_seconds)
def test_span_holds_what_timedelta_holds(seconds):
    assert _span(seconds) == _timedelta_span(seconds)


def test_span_rounds_each_half_microsecond_as_timedelta_does():
    for k in range(-4000, 4000):
        for whole in (0, 1, 3599, 86400 * 365, 7.9e13):
            seconds = whole + k / 2_000_000
            assert _span(seconds) == _timedelta_span(seconds), seconds


def test_span_overflows_where_timedelta_does():
    # timedelta holds at most 999,999,999 days (86,399,999,999,999.999999 s)
    largest = 86_399_999_999_999.0
    for edge in (8.0e13, largest, largest + 1, 8.64e13, 8.7e13, 9e13, 1e14, 1e300):
        for seconds in (edge, edge + 0.5, edge - 0.25, -edge, -edge - 0.5):
            assert _span(seconds) == _timedelta_span(seconds), seconds

"""The pure automation decisions, with a given ``now``: eta, stalls, re-order
amounts, the cap, stale Pending, and the [automation] config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tracker.config.load import config_from_dict
from tracker.config.model import AutomationConfig
from tracker.errors import ConfigError
from tracker.rules.delivery import delivered
from tracker.rules.reorder_costs import day_start, fits
from tracker.rules.reorders import (
    BELOW_MIN,
    CAPPED,
    IS_REORDER,
    NO_RATE,
    NOT_LISTED,
    REMAINS_ABOVE_ORDER,
    TOO_OLD,
    PartialOrder,
    Plan,
    ServiceFacts,
    reorder_plan,
    rounded,
    undelivered,
)
from tracker.rules.stale_pending import NO_CANCEL, NOT_STALE, UNCONFIRMED, cancel_blocker
from tracker.rules.stalls import (
    MEDIAN,
    MOVING,
    RATE,
    STALLED,
    OpenOrder,
    WatchState,
    estimate,
    judge,
    median_seconds,
    recheck_at,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
DEFAULTS = AutomationConfig()
FOLLOWERS = ServiceFacts(rate=Decimal("0.90"), min=100, max=100000, cancel=True)


def order(**changes) -> OpenOrder:
    base = OpenOrder(
        order_id=1,
        status="In progress",
        service=1,
        quantity=1000,
        remains=1000,
        created_at=T0,
        last_change_at=T0,
    )
    return base._replace(**changes)


# --- eta ---------------------------------------------------------------------------


def test_eta_comes_from_the_orders_own_rate_once_it_delivered():
    first = estimate(order(remains=800, last_change_at=T0 + H), WatchState(), None)
    assert first == (None, T0 + H, 800, None)  # a baseline, no rate yet
    state = WatchState(baseline_at=T0 + H, baseline_remains=800)
    # 200 delivered in 2 h: the remaining 600 take 6 h more.
    eta, *_, basis = estimate(order(remains=600, last_change_at=T0 + 3 * H), state, 7200.0)
    assert (eta, basis) == (T0 + 9 * H, RATE)


def test_eta_falls_back_to_the_services_median_then_to_none():
    eta, *_, basis = estimate(order(status="Pending", remains=None), WatchState(), 7200.0)
    assert (eta, basis) == (T0 + 2 * H, MEDIAN)
    assert estimate(order(status="Pending"), WatchState(), None)[0] is None


def test_an_absurd_remains_falling_gives_no_eta_past_the_calendar():
    # 9e18 falling by 1000 in a day: an eta 2e13 years off raised
    # OverflowError, and the stall job failed for every order of the panel.
    huge = 9 * 10**18
    state = WatchState(baseline_at=T0, baseline_remains=huge)
    moved = order(remains=huge - 1000, last_change_at=T0 + 24 * H)
    assert estimate(moved, state, None) == (None, T0, huge, None)
    eta, *_, basis = estimate(moved, state, 7200.0)
    assert (eta, basis) == (T0 + 2 * H, MEDIAN)


def test_the_median_needs_three_completed_orders():
    rows = [(1, k * 3600.0) for k in (1, 2, 9)] + [(2, 3600.0), (None, 60.0)]
    assert median_seconds(rows) == {1: 7200.0}


# --- stalls ------------------------------------------------------------------------


def test_a_stall_opens_once_past_its_statuss_threshold_and_ends_at_the_next_change():
    o = order()
    assert judge(o, WatchState(), DEFAULTS, None, T0 + 6 * H).event is None
    opened = judge(o, WatchState(), DEFAULTS, None, T0 + 6 * H + timedelta(seconds=1))
    assert opened.event == STALLED and opened.state.stalled_change_at == T0
    assert judge(o, opened.state, DEFAULTS, None, T0 + 30 * H).event is None  # once per episode
    moved = order(remains=900, last_change_at=T0 + 31 * H)
    ended = judge(moved, opened.state, DEFAULTS, None, T0 + 31 * H)
    assert ended.event == MOVING and not ended.state.stalled


def test_pending_waits_longer_and_per_service_overrides_win():
    pending = order(status="Pending")
    assert judge(pending, WatchState(), DEFAULTS, None, T0 + 11 * H).event is None
    assert judge(pending, WatchState(), DEFAULTS, None, T0 + 13 * H).event == STALLED
    slow = DEFAULTS._replace(stall_after_service=((1, (("Pending", 48 * 3600.0),)),))
    assert judge(pending, WatchState(), slow, None, T0 + 13 * H).event is None
    assert judge(order(status="Active"), WatchState(), DEFAULTS, None, T0 + 99 * H).event is None


def test_far_past_its_eta_is_stalled_before_the_threshold_but_not_after_a_change():
    pending = order(status="Pending")
    verdict = judge(pending, WatchState(), DEFAULTS, 3600.0, T0 + 2 * H + timedelta(seconds=1))
    assert verdict.event == STALLED and "far past" in (verdict.state.stall_reason or "")
    moved = order(status="Processing", last_change_at=T0 + 3 * H)
    assert judge(moved, WatchState(), DEFAULTS, 3600.0, T0 + 4 * H).event is None
    off = DEFAULTS._replace(eta_overdue=0.0)
    assert judge(pending, WatchState(), off, 3600.0, T0 + 3 * H).event is None


@given(
    status=st.sampled_from(["Pending", "In progress", "Processing", "Active"]),
    remains=st.one_of(st.none(), st.integers(0, 1000)),
    changed=st.integers(0, 20 * 3600),
    median=st.one_of(st.none(), st.floats(30, 30 * 3600)),
    overdue=st.sampled_from([0.0, 1.5, 2.0]),
)
def test_nothing_changes_before_recheck_at_and_a_stall_opens_after_it(
    status, remains, changed, median, overdue
):
    # The automation job leaves an unchanged order alone until recheck_at: that
    # is only right if judging it earlier changes nothing, and judging it
    # after opens the stall time alone was waiting for.
    config = DEFAULTS._replace(eta_overdue=overdue)
    o = order(status=status, remains=remains, last_change_at=T0 + timedelta(seconds=changed))
    now = o.last_change_at
    first = judge(o, WatchState(), config, median, now)
    assume(first.event is None)
    state = first.state
    due = recheck_at(o, state, config)
    for at in (now, now + timedelta(hours=1), due):
        if at is not None and (due is None or at <= due):
            again = judge(o, state, config, median, at)
            assert again.event is None and again.state == state
    if due is not None:
        later = judge(o, state, config, median, due + timedelta(seconds=1))
        assert later.event == STALLED
    else:
        assert judge(o, state, config, median, now + timedelta(days=400)).event is None


def test_stall_alerts_off_still_keeps_the_eta():
    off = DEFAULTS._replace(stalls=False)
    verdict = judge(order(status="Pending"), WatchState(), off, 3600.0, T0 + 99 * H)
    assert verdict.event is None and verdict.state.eta == T0 + H


# --- re-orders ---------------------------------------------------------------------

ON = DEFAULTS._replace(reorder=True, daily_cap=Decimal(5))


def partial(**changes) -> PartialOrder:
    base = PartialOrder(1, 1, "https://x/a", 1000, 400, T0)
    return base._replace(**changes)


def test_the_remainder_is_what_the_listing_calls_undelivered():
    assert undelivered(1000, 400) == 400
    assert undelivered(1000, -2) == 0  # over-delivered
    assert undelivered(1000, None) == 0
    assert undelivered(100, 250, runs=5) == 250  # drip-feed: 500 in all, 250 left


@pytest.mark.parametrize(
    ("amount", "step", "mode", "expected"),
    [(437, 1, "up", 437), (437, 50, "up", 450), (437, 50, "down", 400), (425, 50, "nearest", 450)],
)
def test_rounding(amount, step, mode, expected):
    assert rounded(amount, step, mode) == expected


def test_a_reorder_plan_names_amount_cost_and_never_goes_below_min():
    plan = reorder_plan(partial(), FOLLOWERS, ON, T0 + H)
    assert plan == Plan(400, Decimal("0.36000"), "Partial: 400 of 1000 undelivered")
    small = reorder_plan(partial(remains=30), FOLLOWERS, ON, T0 + H)
    assert isinstance(small, Plan) and small.quantity == 100


def test_a_remainder_below_the_services_min_is_raised_saying_so_or_skipped():
    # 5 left of a service whose min is 1000: raised, the order costs 1000's
    # price, and the reason stored with the action says why it is that large.
    service = FOLLOWERS._replace(min=1000)
    plan = reorder_plan(partial(remains=5), service, ON, T0 + H)
    assert plan == Plan(
        1000,
        Decimal("0.90000"),
        "Partial: 5 of 1000 undelivered, raised to the service's min of 1000",
    )
    skip = ON._replace(reorder_below_min="skip")
    assert reorder_plan(partial(remains=5), service, skip, T0 + H) == BELOW_MIN
    assert reorder_plan(partial(remains=1000), service, skip, T0 + H) == Plan(
        1000, Decimal("0.90000"), "Partial: 1000 of 1000 undelivered"
    )
    assert build({"reorder_below_min": "skip"}).reorder_below_min == "skip"
    with pytest.raises(ConfigError) as caught:
        build({"reorder_below_min": "never"})
    assert caught.value.problems == [
        "at 'automation.reorder_below_min': must be one of raise, skip (got 'never')"
    ]


def test_reasons_not_to_reorder():
    assert reorder_plan(partial(parent_order_id=9), FOLLOWERS, ON, T0) == IS_REORDER
    assert reorder_plan(partial(), FOLLOWERS, ON, T0 + 4 * 24 * H) == TOO_OLD
    assert reorder_plan(partial(), FOLLOWERS._replace(rate=None), ON, T0) == NO_RATE
    listed = ON._replace(reorder_services=(7,))
    assert reorder_plan(partial(), FOLLOWERS, listed, T0) == NOT_LISTED


def test_remains_above_the_tracked_quantity_is_no_guess_to_spend_on():
    # A drip-feed order tracked without --runs: remains counts every run. It
    # was re-ordered in full (1000) on a guess; what is left is unknown.
    assert reorder_plan(partial(remains=4285), FOLLOWERS, ON, T0 + H) == REMAINS_ABOVE_ORDER
    assert isinstance(reorder_plan(partial(remains=4285, runs=5), FOLLOWERS, ON, T0 + H), Plan)
    assert delivered("Partial", 1000, None, 4285) is None
    assert delivered("Partial", 1000, 5, 4285) == 715


def test_a_remains_below_minus_the_order_is_no_figure_to_reorder_on():
    # "-99999999999" on a Partial of 1000: it read as 100000000999 delivered
    # ("nothing is undelivered"); the panel's number is no delivery figure.
    assert delivered("Partial", 1000, None, -99_999_999_999) is None
    assert delivered("Completed", 1000, None, -1001) is None
    assert delivered("Completed", 1000, None, -1000) == 2000  # over-delivered the order again
    assert delivered("Completed", 1000, None, -2) == 1002
    assert delivered("Completed", 100, 5, -500) == 1000  # drip-feed: 500 in all
    from tracker.rules.reorders import REMAINS_BELOW_ORDER

    absurd = partial(remains=-99_999_999_999)
    assert reorder_plan(absurd, FOLLOWERS, ON, T0 + H) == REMAINS_BELOW_ORDER


@pytest.mark.parametrize("rate", ["0", "-1.0", "-0.00001", "Infinity", "-Infinity", "NaN", "1e-12"])
def test_a_rate_that_bounds_nothing_is_no_rate(rate):
    # 0, below 0, not finite, or so small the cost rounds to 0: the cap bounds nothing.
    assert reorder_plan(partial(), FOLLOWERS._replace(rate=Decimal(rate)), ON, T0) == NO_RATE


def test_nothing_free_fits_under_the_cap():
    assert not fits(Decimal(0), Decimal(0), Decimal(5))
    assert not fits(Decimal(0), Decimal("-0.5"), Decimal(5))


def test_the_cap_is_per_utc_day_and_inclusive():
    assert fits(Decimal("4.64"), Decimal("0.36"), Decimal(5))
    assert not fits(Decimal("4.65"), Decimal("0.36"), Decimal(5))
    assert day_start(T0 + 11 * H + timedelta(minutes=59)) == T0.replace(hour=0)
    assert CAPPED == "the daily cap would be passed"


def test_stale_pending_needs_time_and_a_cancellable_service():
    on = DEFAULTS._replace(cancel_pending=True)

    def blocker(now, service=FOLLOWERS):
        return cancel_blocker("Pending", T0, service, on, now, confirmed_at=now, fresh_for=3600.0)

    assert blocker(T0 + 23 * H) == NOT_STALE
    assert blocker(T0 + 24 * H) is None
    assert blocker(T0 + 25 * H, FOLLOWERS._replace(cancel=False)) == NO_CANCEL


def test_a_pending_status_not_confirmed_lately_cancels_nothing():
    on = DEFAULTS._replace(cancel_pending=True)
    now = T0 + 25 * H

    def blocker(confirmed_at):
        return cancel_blocker(
            "Pending", T0, FOLLOWERS, on, now, confirmed_at=confirmed_at, fresh_for=3600.0
        )

    assert blocker(now - H) is None
    assert blocker(now - H - timedelta(seconds=1)) == UNCONFIRMED  # stored, not re-checked
    assert blocker(None) == UNCONFIRMED  # never answered without an error


# --- config ------------------------------------------------------------------------

PANEL = {"name": "main", "url": "https://panel.example/api/v2", "key": "k"}


def build(automation: dict) -> AutomationConfig:
    data = {"panels": [PANEL], "automation": automation}
    return config_from_dict(data, base_dir=Path("."), env={}).automation


def test_config_reads_thresholds_overrides_and_caps():
    config = build(
        {
            "stall_after": {"pending": "1d", "In Progress": "2h"},
            "stall_after_service": {"12": {"Pending": "48h"}},
            "reorder": True,
            "daily_cap_panels": {"main": 20},
        }
    )
    assert config.stall_threshold("Pending", 3) == 86400.0
    assert config.stall_threshold("In progress", 3) == 7200.0
    assert config.stall_threshold("Pending", 12) == 48 * 3600.0
    assert config.stall_threshold("Processing", 3) is None  # not listed: never stalls
    assert config.cap("main") == Decimal(20)


def test_config_reports_every_automation_problem_at_once():
    with pytest.raises(ConfigError) as caught:
        build(
            {
                "reorder": True,
                "stall_after": {"Completed": "1h"},
                "eta_overdue": 0.5,
                "daily_cap_panels": {"other": 1},
                "reorder_round": "sideways",
            }
        )
    assert caught.value.problems == [
        "at 'automation.daily_cap_panels.other': is not a configured panel name",
        "at 'automation.stall_after.Completed': must be an open order status "
        "(Pending, Processing, In progress, ...)",
        "at 'automation.eta_overdue': must be 0 (off) or between 1 and 100 (got 0.5)",
        "at 'automation.reorder_round': must be one of up, down, nearest (got 'sideways')",
    ]
    with pytest.raises(ConfigError) as caught:
        build({"reorder": True})
    assert caught.value.problems == [
        "at 'automation.daily_cap': must be above 0 when automation.reorder = true "
        "(it bounds spending)"
    ]


def test_reorder_with_every_cap_at_zero_is_a_config_error():
    # Before, caps of 0 in daily_cap_panels passed: reorder = true that never
    # placed anything, each Partial skipped as "above the daily cap".
    with pytest.raises(ConfigError) as caught:
        build({"reorder": True, "daily_cap": 0, "daily_cap_panels": {"main": 0}})
    assert caught.value.problems == [
        "at 'automation.daily_cap': must be above 0 when automation.reorder = true "
        "(it bounds spending); every cap in daily_cap_panels is 0 too: no re-order "
        "could be placed"
    ]
    # One panel with a cap above 0 is enough: the others re-order nothing.
    assert build({"reorder": True, "daily_cap_panels": {"main": 5}}).cap("main") == Decimal(5)

"""The arithmetic of a drip-feed order's re-order at its pace (pure, a
given ``now``): runs of no more than the original's quantity a run, the
service's min and max and automation.reorder_step applied to a run's
quantity as a panel applies them to a drip-feed add's, the cost of every
run; else one ordinary order, its reason saying why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.config.model import AutomationConfig
from tracker.rules.reorder_costs import estimated_cost
from tracker.rules.reorder_pace import placed_as
from tracker.rules.reorders import PartialOrder, Plan, ServiceFacts, reorder_plan

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
ON = AutomationConfig(reorder=True, daily_cap=Decimal(5))
VIEWS = ServiceFacts(rate=Decimal("1.2"), min=500, max=1000000, cancel=True, dripfeed=True)


def drip(remains: int, *, each: int = 1000, runs: int = 5, interval: int | None = 60):
    """A Partial drip-feed order of ``runs`` x ``each``, ``remains`` of it left."""
    return PartialOrder(1, 1, "https://x/a", each, remains, T0, runs=runs, interval=interval)


def plan(remains: int, service: ServiceFacts = VIEWS, config: AutomationConfig = ON, **kw):
    return reorder_plan(drip(remains, **kw), service, config, LATER)


def test_the_remainder_goes_as_runs_no_larger_than_the_originals():
    assert plan(3800) == Plan(
        3800,
        Decimal("4.56000"),
        "Partial: 3800 of 5000 undelivered; 3800 as 4 runs of 950 every 60 min",
        runs=4,
        interval=60,
    )
    # 3001 of runs of 1000: 4 runs of 751, three over; every run costed.
    over = plan(3001)
    assert isinstance(over, Plan) and (over.each, over.runs, over.quantity) == (751, 4, 3004)
    assert over.cost == estimated_cost(Decimal("1.2"), 3004)
    assert placed_as(over.reason) == "3004 as 4 runs of 751 every 60 min"


def test_a_remainder_above_the_services_max_still_goes_as_runs_under_it():
    assert plan(3800, VIEWS._replace(max=1000)).runs == 4  # type: ignore[union-attr]
    assert plan(3800, VIEWS._replace(max=900)) == (
        "a run's quantity (950) is above the service's max (900)"
    )


def test_a_run_below_the_services_min_is_raised_to_it_or_skipped():
    # 1000 left of runs of 300, the service's min now 500: 2 runs of 500.
    raised = plan(1000, each=300, runs=4)
    assert isinstance(raised, Plan) and (raised.each, raised.runs) == (500, 2)
    assert raised.reason == (
        "Partial: 1000 of 1200 undelivered, raised to the service's min of 500 a run; "
        "1000 as 2 runs of 500 every 60 min"
    )
    skip = ON._replace(reorder_below_min="skip")
    assert plan(1000, config=skip, each=300, runs=4) == (
        "a run of the remainder at its pace is below the service's min "
        '(automation.reorder_below_min = "skip"): re-order it by hand'
    )
    # Raised, the runs cover it whole: less than one min over (600: 2 x 500).
    over = plan(600, each=300, runs=4)
    assert isinstance(over, Plan) and (over.quantity, over.runs) == (1000, 2)
    # Raised, one run covers it: one ordinary order, raised as ever.
    one = plan(450, each=300, runs=4)
    assert isinstance(one, Plan) and (one.quantity, one.runs) == (500, None)
    assert one.reason.endswith("; as one order, not as runs: the remainder fits in one run of 500")


@pytest.mark.parametrize(
    ("step", "mode", "each", "runs"),
    [
        (100, "up", 100, 3),  # 125 a run rounds to 200, past 150: 100s, 3 runs = 300
        (100, "down", 100, 2),  # 125 rounds to 100: 2 runs = 200, under the remainder
        (50, "nearest", 150, 2),  # 125 rounds to 150: 2 runs = 300
        (1, "down", 125, 2),
    ],
)
def test_the_step_rounds_a_runs_quantity_never_past_the_originals(step, mode, each, runs):
    config = ON._replace(reorder_step=step, reorder_round=mode)
    found = plan(250, VIEWS._replace(min=10), config, each=150, runs=4)
    assert isinstance(found, Plan) and (found.each, found.runs) == (each, runs), found


def test_when_the_pace_cannot_be_kept_one_order_says_why():
    cases = [
        (VIEWS._replace(dripfeed=False), {}, "its service takes no drip-feed"),
        (VIEWS._replace(dripfeed=None), {}, "the services list does not say"),
        (VIEWS, {"interval": None}, "its drip-feed interval is unknown (track --interval)"),
        (VIEWS, {"remains": 700}, "the remainder fits in one run of 1000"),
    ]
    for service, changes, why in cases:
        found = plan(changes.pop("remains", 3800), service, **changes)
        assert isinstance(found, Plan) and found.runs is None, found
        assert f"; as one order, not as runs: {why}" in found.reason
    step = ON._replace(reorder_step=2000)
    found = plan(3800, VIEWS, step)
    assert isinstance(found, Plan) and (found.quantity, found.runs) == (4000, None)
    assert found.reason.endswith("automation.reorder_step (2000) is above a run's quantity (1000)")
    # No drip-feed order: nothing said of runs.
    assert placed_as(plan(400, runs=1).reason) is None  # type: ignore[union-attr]


@given(
    each=st.integers(1, 5000),
    runs=st.integers(2, 50),
    share=st.floats(0.0, 1.0),
)
def test_runs_cover_the_remainder_at_no_faster_pace_with_fewer_than_runs_over(each, runs, share):
    remains = max(1, int(each * runs * share))
    found = plan(remains, VIEWS._replace(min=1), each=each, runs=runs)
    assert isinstance(found, Plan)
    if found.runs is None:  # one run's worth
        assert remains <= each and found.quantity == remains
        return
    assert found.each <= each and found.runs >= 2
    assert remains <= found.quantity < remains + found.runs
    assert found.cost == estimated_cost(Decimal("1.2"), found.quantity)

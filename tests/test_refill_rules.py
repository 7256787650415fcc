"""Refill eligibility and drop decisions: pure, with an injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tracker.config.model import RefillConfig
from tracker.panel.models import RefillRequest, RefillStatus
from tracker.rules.refill_states import (
    REFUSED,
    REQUESTING,
    UNKNOWN,
    PastRequest,
    is_permanent_refusal,
)
from tracker.rules.refills import (
    COOLDOWN,
    ELIGIBLE,
    MAX_REQUESTS,
    NO_REFILL,
    NOT_DONE,
    NOT_FOUND_CONFIRMATIONS,
    OPEN_REFILL,
    PAST_WINDOW,
    PERMANENT_REFUSAL,
    TOO_EARLY,
    UNKNOWN_SERVICE,
    OrderFacts,
    answered,
    dropped,
    eligibility,
    expected_count,
    followed,
    manual_blocker,
)

H = 3600.0
DAY = 86400.0
CONFIG = RefillConfig()  # the documented defaults: 30d window, 24h first check and cooldown


@pytest.fixture
def order(clock):
    """A Completed order of a refill service, completed 2 days before ``clock``."""
    return OrderFacts(
        order_id=1,
        status="Completed",
        completed_at=clock() - timedelta(days=2),
        service_refill=True,
        link="https://instagram.com/x",
        start_count=1000,
        quantity=500,
        remains=0,
    )


def ago(clock, seconds: float):
    return clock() - timedelta(seconds=seconds)


def test_a_completed_order_of_a_refill_service_inside_its_window_is_eligible(order, clock):
    assert eligibility(order, [], CONFIG, clock()) == ELIGIBLE


def test_nothing_is_eligible_when_refills_are_disabled(order, clock):
    verdict = eligibility(order, [], CONFIG._replace(enabled=False), clock())
    assert not verdict.eligible


def test_a_service_without_refill_is_never_eligible(order, clock):
    verdict = eligibility(order._replace(service_refill=False), [], CONFIG, clock())
    assert verdict.reason == NO_REFILL


def test_an_unknown_service_is_skipped_unless_configured_to_try(order, clock):
    unknown = order._replace(service_refill=None)
    assert eligibility(unknown, [], CONFIG, clock()).reason == UNKNOWN_SERVICE
    assert eligibility(unknown, [], CONFIG._replace(unknown_service="try"), clock()) == ELIGIBLE


@pytest.mark.parametrize("status", ["Partial", "In progress", "Canceled", "Refunded", None])
def test_a_status_outside_refill_statuses_is_not_eligible(order, clock, status):
    assert eligibility(order._replace(status=status), [], CONFIG, clock()).reason == NOT_DONE


def test_partial_orders_are_eligible_when_listed(order, clock):
    partial = order._replace(status="Partial", remains=100)
    config = CONFIG._replace(statuses=("Completed", "Partial"))
    assert eligibility(partial, [], config, clock()) == ELIGIBLE


def test_the_window_counts_from_completion_and_ends_after_it(order, clock):
    inside = order._replace(completed_at=ago(clock, 30 * DAY))
    past = order._replace(completed_at=ago(clock, 30 * DAY + 1))
    assert eligibility(inside, [], CONFIG, clock()) == ELIGIBLE
    assert eligibility(past, [], CONFIG, clock()).reason == PAST_WINDOW


def test_no_request_before_first_check_after_completion(order, clock):
    early = order._replace(completed_at=ago(clock, 24 * H - 1))
    assert eligibility(early, [], CONFIG, clock()).reason == TOO_EARLY
    assert eligibility(
        order._replace(completed_at=ago(clock, 24 * H)), [], CONFIG, clock()
    ).eligible


def test_cooldown_counts_from_the_last_request_whatever_its_outcome(order, clock):
    for status, refill_id in [(REFUSED, None), (UNKNOWN, None), ("Completed", "7")]:
        recent = [PastRequest(ago(clock, 24 * H - 1), status, refill_id)]
        assert eligibility(order, recent, CONFIG, clock()).reason == COOLDOWN, status
        old = [PastRequest(ago(clock, 24 * H), status, refill_id)]
        assert eligibility(order, old, CONFIG, clock()) == ELIGIBLE, status


def test_an_open_refill_blocks_a_new_request_even_after_the_cooldown(order, clock):
    for status in ["Pending", "In progress"]:
        running = [PastRequest(ago(clock, 5 * DAY), status, "77")]
        assert eligibility(order, running, CONFIG, clock()).reason == OPEN_REFILL, status
    # Words the tracker does not know hold the order only inside the cooldown
    # (then the panel decides: it refuses a second refill while one runs).
    unread = [PastRequest(ago(clock, 5 * DAY), "Refilling at provider", "77")]
    assert eligibility(order, unread, CONFIG, clock()) == ELIGIBLE
    in_flight = [PastRequest(ago(clock, 5 * DAY), REQUESTING)]
    assert eligibility(order, in_flight, CONFIG, clock()).reason == OPEN_REFILL


def test_max_requests_counts_refills_the_panel_accepted_or_may_have(order, clock):
    config = CONFIG._replace(max_requests=2)
    days = [ago(clock, (10 - i) * DAY) for i in range(5)]
    two_done = [PastRequest(days[0], "Completed", "1"), PastRequest(days[1], UNKNOWN)]
    assert eligibility(order, two_done, config, clock()).reason == MAX_REQUESTS
    # "Nothing dropped" answers (refusals, Rejected refills) do not use up the guarantee.
    noes = [
        PastRequest(days[0], "Completed", "1"),
        PastRequest(days[1], REFUSED, None),
        PastRequest(days[2], "Rejected", "2"),
        PastRequest(days[3], REFUSED, None),
    ]
    assert eligibility(order, noes, config, clock()) == ELIGIBLE


def test_a_permanent_refusal_makes_the_order_ineligible_for_good(order, clock):
    refused = [PastRequest(ago(clock, 20 * DAY), REFUSED, None, permanent=True)]
    assert eligibility(order, refused, CONFIG, clock()).reason == PERMANENT_REFUSAL


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        ("Refill is disabled for this service", True),
        ("Service does not support refill", True),
        ("Order not eligible for refill.", False),
        ("You are not eligible to send refill request.", False),
        ("The refill task is not completed for this order", False),
        ("Incorrect order ID", False),
        (None, False),
    ],
)
def test_which_refusals_are_permanent(error, permanent):
    assert is_permanent_refusal(error) is permanent
    fields = answered(RefillRequest(order_id=1, error=error or "x"))
    assert fields["status"] == REFUSED and fields["refill_id"] is None


def test_an_accepted_request_starts_pending_with_its_refill_id():
    assert answered(RefillRequest(order_id=1, refill_id="12345")) == {
        "refill_id": "12345",
        "status": "Pending",
        "error": None,
        "permanent": 0,
    }


def test_a_bare_string_item_error_is_a_refusal_not_a_refill_id():
    fields = answered(RefillRequest(order_id=1, refill_id="Refill is disabled for this service"))
    assert (fields["refill_id"], fields["status"], fields["permanent"]) == (None, REFUSED, 1)
    assert fields["error"] == "Refill is disabled for this service"


def test_follow_up_takes_the_status_and_closes_a_refill_the_panel_lost():
    row = {"status": "Pending", "error_count": 0}
    changes = followed(row, RefillStatus("9", status="Completed", raw_status="Processed"))
    assert changes["status"] == "Completed" and changes["raw_status"] == "Processed"
    for count in range(NOT_FOUND_CONFIRMATIONS):
        changes = followed(row, RefillStatus("9", error="Refill not found"))
        assert changes["error"] == "Refill not found"
        assert ("status" in changes) is (count == NOT_FOUND_CONFIRMATIONS - 1)
        row = {**row, **changes}
    assert row["status"] == UNKNOWN
    assert followed({"error_count": 0}, None)["error"] == "not in the panel's answer"


def test_manual_requests_respect_only_the_cooldown_and_open_refills(clock):
    assert manual_blocker([], DAY, clock()) is None
    assert manual_blocker([PastRequest(ago(clock, H), REFUSED)], DAY, clock()) == COOLDOWN
    assert manual_blocker([PastRequest(ago(clock, 2 * DAY), "Pending", "3")], DAY, clock()) == (
        OPEN_REFILL
    )
    assert manual_blocker([PastRequest(ago(clock, 2 * DAY), REFUSED)], DAY, clock()) is None
    # Refused for good: said, not just "inside the cooldown" (waiting will not help).
    refused = PastRequest(ago(clock, H), REFUSED, permanent=True)
    assert manual_blocker([refused], DAY, clock()) == f"{PERMANENT_REFUSAL}, {COOLDOWN}"


def test_a_drop_is_a_count_below_start_plus_quantity_less_the_threshold(order):
    # start 1000 + quantity 500, threshold 5 % of 500 = 25: dropped below 1475.
    assert dropped(order, 1475, 0.05) is False
    assert dropped(order, 1474, 0.05) is True
    assert dropped(order, 1500, 0.0) is False
    assert dropped(order, 1499, 0.0) is True


def test_a_partial_order_is_measured_against_what_was_delivered(order):
    partial = order._replace(status="Partial", remains=200)  # 300 delivered
    assert dropped(partial, 1300 - 25, 0.05) is False
    assert dropped(partial, 1300 - 26, 0.05) is True


def test_over_delivery_does_not_raise_the_bar(order):
    assert dropped(order._replace(remains=-2), 1475, 0.05) is False


def test_a_drop_cannot_be_judged_without_start_count_or_quantity(order):
    assert dropped(order._replace(start_count=None), 0, 0.05) is None
    assert dropped(order._replace(quantity=None), 0, 0.05) is None


@pytest.mark.parametrize("remains", [501, 10**17, -501, -99_999_999_999])
def test_a_drop_cannot_be_judged_on_a_remains_that_is_no_delivery_figure(order, remains):
    # 10**17 of 500 made the expected count far below the start: no drop ever.
    odd = order._replace(remains=remains)
    assert expected_count(odd) is None and dropped(odd, 0, 0.05) is None
    from tracker.rules.refills import unprobeable

    assert unprobeable(odd) == f"remains {remains} of 500 is no delivery figure"
    assert unprobeable(odd._replace(remains=-500)) is None  # over-delivered, as much again
    assert unprobeable(odd._replace(link=None, start_count=None)) == "missing link, start_count"


def test_probe_due_once_per_probe_every():
    from datetime import UTC, datetime, timedelta

    from tracker.rules.refills import probe_due

    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert probe_due(None, now, 6 * 3600)
    assert not probe_due(now - timedelta(hours=5, minutes=59), now, 6 * 3600)
    assert probe_due(now - timedelta(hours=6), now, 6 * 3600)


@pytest.mark.parametrize(
    "error",
    [
        "Too many requests",
        "no refill status: the answer has no status field",
        "Your API key is incorrect",
    ],
)
def test_a_busy_panel_a_refused_key_or_an_empty_item_never_closes_a_refill(error):
    # Closed as Unknown, the refill would stop blocking the order and a second
    # (not idempotent) refill would be asked for: the hostile re-check saw it.
    row = {"status": "Pending", "error_count": 0}
    for _ in range(NOT_FOUND_CONFIRMATIONS + 2):
        changes = followed(row, RefillStatus("9", error=error))
        row = {**row, **changes}
    assert row["status"] == "Pending" and row["error"] == error and row["error_count"] == 0


def test_an_error_the_panel_also_gives_for_its_witness_is_kept_but_not_counted():
    row = {"status": "In progress", "error_count": 1}
    changes = followed(row, RefillStatus("9", error="Refill not found"), trusted=False)
    assert changes == {"error": "Refill not found"}
    counted = followed(row, RefillStatus("9", error="Refill not found"))
    assert counted["error_count"] == 2 and "status" not in counted

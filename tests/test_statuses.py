import pytest

from tracker.panel.statuses import (
    is_terminal,
    normalize_order_status,
    normalize_refill_status,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Pending", "Pending"),
        ("Processing", "Processing"),
        ("In progress", "In progress"),
        ("In Progress", "In progress"),
        ("in progress", "In progress"),
        ("In progess", "In progress"),
        ("Completed", "Completed"),
        ("COMPLETED", "Completed"),
        ("Partial", "Partial"),
        ("Canceled", "Canceled"),
        ("Cancelled", "Canceled"),
        ("Refunded", "Refunded"),
        ("Error", "Failed"),
        ("FAIL", "Failed"),
        ("Failed", "Failed"),
        ("ERROR", "Failed"),
        ("AWAITING", "Pending"),
        ("Creating", "Pending"),
        ("Active", "Active"),
        ("Paused", "Paused"),
        ("  pending ", "Pending"),
    ],
)
def test_every_spelling_seen_on_real_panels_is_normalised(raw: str, expected: str) -> None:
    status, known = normalize_order_status(raw)
    assert (status, known) == (expected, True)


def test_unknown_status_is_kept_verbatim_not_mapped_to_pending() -> None:
    assert normalize_order_status("Stuck at provider") == ("Stuck at provider", False)


@pytest.mark.parametrize("status", ["Completed", "Partial", "Canceled", "Refunded"])
def test_terminal_statuses(status: str) -> None:
    assert is_terminal(status)


@pytest.mark.parametrize("status", ["Pending", "In progress", "Processing", "Failed", None, "?"])
def test_failed_and_open_statuses_are_not_terminal(status: str | None) -> None:
    assert not is_terminal(status)


def test_british_cancelled_is_terminal_after_normalisation() -> None:
    assert is_terminal(normalize_order_status("Cancelled")[0])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Pending", "Pending"),
        ("Awaiting", "Pending"),
        ("In progress", "In progress"),
        ("Processing", "In progress"),
        ("Refilling", "In progress"),
        ("Completed", "Completed"),
        ("Processed", "Completed"),
        ("Rejected", "Rejected"),
        ("Error", "Failed"),
        ("Failed", "Failed"),
        ("Canceled", "Canceled"),
        ("Cancelled", "Canceled"),
    ],
)
def test_refill_statuses(raw: str, expected: str) -> None:
    assert normalize_refill_status(raw) == (expected, True)

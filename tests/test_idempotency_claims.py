"""The store's side of an `add --idempotency-key`'s claim: its add's answer
changes the key's row only while the row is still that claim (Sending, since
the moment it was claimed), and `track --idempotency-key` settles only the
add it checked. Real store functions on a real SQLite file, the moments
given (the clock injected).

Before, settle, release and settle_tracked found the row by panel and key
alone: an add come back after the user claimed the key again for a new add
(`--not-placed`) deleted or overwrote the new add's claim while that one
was still sending, and `track` settled a claim made after it checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.store import idempotency
from tracker.store.idempotency import Claim
from tracker.store.orders import Store

LONGEST = 185.0  # an add's longest run: timeout 30 s, retry_budget 95 s, a minute
ASKED = idempotency.request_text({"service": 1, "link": "https://x.test/p", "quantity": 100})
T0 = datetime(2026, 12, 5, 1, 0, 0, 250_000, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)  # the first add suspended meanwhile


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "t.db")
    yield store
    store.close()


def _row(store: Store) -> tuple:
    held = idempotency.find(store, "main", "row-17")
    return (held.status, held.order_id, held.at) if held is not None else ()


def _claimed_again(store: Store) -> tuple[Claim, Claim]:
    """Return (the first add's claim, the one `--not-placed` made an hour later)."""
    first = Claim.made("main", "row-17", T0)
    assert idempotency.claim(store, "main", "row-17", ASKED, T0) is None
    earlier, claimed = idempotency.reclaim(store, "main", "row-17", ASKED, LATER, LONGEST)
    assert claimed and earlier is not None and earlier.at == first.at
    return first, Claim.made("main", "row-17", LATER)


def test_the_first_adds_late_answer_leaves_the_new_adds_claim_sending(store):
    first, second = _claimed_again(store)
    gone = idempotency.release(store, first)  # its late refusal
    assert gone is not None and gone.held is not None and gone.held.at == second.at
    assert _row(store) == ("Sending", None, second.at)  # a third add sends nothing
    assert idempotency.settle(store, first, LATER, order_id=4501) is not None  # its late order
    assert idempotency.settle(store, first, LATER, error="timed out") is not None
    assert _row(store) == ("Sending", None, second.at)
    assert idempotency.settle(store, second, LATER, order_id=4502) is None  # its own answer
    assert _row(store) == ("Placed", 4502, second.at)


def test_track_settles_only_the_add_it_checked(store):
    first, second = _claimed_again(store)
    # `track --idempotency-key row-17 4501` checked the first add, then the
    # key was claimed again before its settle: the new add keeps it.
    held = idempotency.settle_tracked(store, "main", "row-17", 4501, LATER, first.at)
    assert held is not None and held.at == second.at
    assert _row(store) == ("Sending", None, second.at)
    assert idempotency.settle(store, second, LATER, error="timed out") is None
    idempotency.settle_tracked(store, "main", "row-17", 4502, LATER, second.at)
    assert _row(store) == ("Placed", 4502, second.at)

"""A refill round reads each order back its own window (the guarantee its
service's name says, else refill.window), not the panel's longest, and
names that window when it leaves an order out past it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY
from structlog.testing import capture_logs
from test_sim_named_guarantees import LONG

import tracker.jobs.refills as refill_job
from tracker.config.model import RefillConfig
from tracker.rules.guarantees import named_guarantee
from tracker.rules.refill_eligibility import OrderFacts, past_window
from tracker.sim.server import (
    SERVICE_FOLLOWERS,
    SERVICE_TELEGRAM,
    SERVICE_TIKTOK,
    SERVICE_VIEWS,
)


def _read_by_round(monkeypatch) -> list[int]:
    """The order IDs the refill round's reads return, as it reads them."""
    read: list[int] = []
    real = refill_job.candidate_orders

    def spy(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        rows = real(*args, **kwargs)
        read.extend(r["order_id"] for r in rows)
        return rows

    monkeypatch.setattr(refill_job, "candidate_orders", spy)
    return read


def _completed(w, *services: int) -> list[int]:
    ids = [w.order(service) for service in services]
    w.poll()  # Completed, as the tracker saw it now
    return ids


# --- each order read back its own window


def test_a_round_reads_each_order_back_its_own_window_not_the_longest(world, clock, monkeypatch):
    w = world(catalogue=LONG)
    w.sync_services()
    old = _completed(w, SERVICE_FOLLOWERS, SERVICE_TIKTOK, SERVICE_TELEGRAM)
    clock.advance(100 * DAY)
    new = _completed(w, SERVICE_FOLLOWERS, SERVICE_TIKTOK, SERVICE_TELEGRAM)
    clock.advance(20 * DAY)  # the old ones 120 days completed, the new ones 20
    read = _read_by_round(monkeypatch)
    assert w.round()
    old_r30, old_lifetime, old_r90 = old
    # The R30 and R90 orders past their windows are not read; the lifetime
    # one is (its 365 days), and each order still inside its window.
    assert sorted(read) == sorted([old_lifetime, *new])
    asked = {o for o in [*old, *new] if w.requests(o)}
    assert asked == {old_lifetime, *new}  # the decisions: as before
    assert w.requests(old_r30) == [] and w.requests(old_r90) == []


# --- the round's words: the order's own window


@pytest.mark.usefixtures("fresh_logs")
def test_the_rounds_reason_names_the_orders_own_window(world, clock):
    w = world(catalogue=LONG)
    w.sync_services()
    r7, r30 = _completed(w, SERVICE_VIEWS, SERVICE_FOLLOWERS)
    clock.advance(10 * DAY)  # inside refill.window (30d), past R7's 7 days
    with capture_logs() as logs:
        assert w.round()
    done = [e for e in logs if e["event"] == "refill_round_done"]
    assert done and done[-1]["requested"] == 1  # the R30 order
    skipped = done[-1]["skipped"]
    assert skipped.get("past its refill window (7d, R7)") == 1, skipped
    assert not any("past refill.window" in reason for reason in skipped)
    assert len(w.requests(r30)) == 1 and w.requests(r7) == []


@pytest.mark.parametrize(
    ("name", "category", "words"),
    [
        ("Followers [R90]", None, "past its refill window (90d, R90)"),
        ("Followers", "Followers [R60]", "past its refill window (60d, R60 in its category)"),
        (
            "Followers | Lifetime Refill",
            None,
            "past its refill window (365d, lifetime: refill.lifetime)",
        ),
        ("Followers | Refill", None, "past its refill window (30d, refill.window)"),
    ],
)
def test_past_its_window_is_said_with_the_window(clock, name, category, words):
    order = OrderFacts(1, "Completed", clock(), True, guarantee=named_guarantee(name, category))
    assert past_window(order, RefillConfig()) == words


def test_a_catalogue_of_too_many_long_windows_is_read_back_its_longest(clock):
    # A hostile panel listing thousands of "[R90]" services: no statement of
    # thousands of IDs; every order read back the longest window, as before.
    from tracker.clock import iso
    from tracker.store.refill_reach import MOST_LISTED, reach_clause

    now = clock()
    earliest = now - 30 * timedelta(days=1)
    r90 = (now - 90 * timedelta(days=1), list(range(MOST_LISTED)))
    lifetime = (now - 365 * timedelta(days=1), [MOST_LISTED + 1])
    assert reach_clause(earliest, [r90, lifetime]) == (
        "o.completed_at >= ?",
        [iso(now - 365 * timedelta(days=1))],
    )
    sql, params = reach_clause(earliest, [lifetime])  # a few: each its own
    assert sql.count("o.service IN") == 1 and params[0] == iso(earliest)

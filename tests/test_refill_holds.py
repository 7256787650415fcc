"""A refill round waits while the panel's calls fail (a request into a failing
panel ends Unknown and counts toward ``refill.max_requests``), but a panel
script whose ``balance`` action is broken for good (a PHP fatal error: HTTP
500 every time) while its status calls answer is not a failing panel: its
refill rounds were held whenever the balance check happened to be the last
call, about a third of them, each for a round's interval."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.clock import iso
from tracker.errors import JobHeld, JobPaused
from tracker.rules.refill_rounds import held_by
from tracker.sim.server import SERVICE_FOLLOWERS

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _round(w: Any) -> tuple[bool, list[dict[str, Any]]]:
    """Run the refill round; return whether it ran and succeeded (False:
    held, or failed) and the warnings it logged."""
    with capture_logs() as logs:
        try:
            done = w.round()
        except JobHeld:  # held, not run: no failure (job_holds_total)
            done = False
    return done, [e for e in logs if e.get("log_level") in ("warning", "error")]


def _held(w: Any, order: int) -> str:
    """Run the round; assert it was held and asked nothing; return why."""
    done, warnings = _round(w)
    held = [e["reason"] for e in warnings if e["event"] == "refill_round_held"]
    assert not done and len(held) == 1
    assert w.requests(order) == []
    return str(held[0])


def test_a_balance_action_broken_for_good_does_not_hold_the_refill_rounds(world) -> None:
    w = world()
    (order,) = w.dropped(1)
    w.order(SERVICE_FOLLOWERS, "In progress")  # open: each poll asks the panel
    w.panel.inject("json500", count=100, action="balance")
    for _ in range(2):  # two balance checks fail, each followed by a poll answered
        assert not w.jobs["balance:sim"].run()
        w.poll()
    assert not w.jobs["balance:sim"].run()  # the check just before the round
    done, warnings = _round(w)
    assert done
    assert "refill_round_held" not in [e["event"] for e in warnings]
    assert [r["status"] for r in w.requests(order)] != []  # the refill was asked for


def test_a_first_balance_failure_still_holds_the_round(world) -> None:
    # Nothing tells yet whether the panel or only its balance action fails.
    w = world()
    (order,) = w.dropped(1)
    w.panel.inject("json500", count=1, action="balance")
    failed_at = w.clock()
    assert not w.jobs["balance:sim"].run()
    # The moment as every other log field says it: ISO 8601, +00:00 ("since
    # 2026-12-05 08:12:24 UTC", a form no other line used, before).
    assert _held(w, order) == f"its calls have failed since {iso(failed_at)} (balance)"


def test_a_poll_failing_after_the_broken_balance_still_holds_the_round(world) -> None:
    # The balance is known broken, but the status calls now fail too: the panel's.
    w = world()
    (order,) = w.dropped(1)
    w.order(SERVICE_FOLLOWERS, "In progress")  # open: each poll asks the panel
    w.panel.inject("json500", count=100, action="balance")
    for _ in range(2):
        assert not w.jobs["balance:sim"].run()
        w.poll()
    w.panel.inject("json500", count=1, action="status")
    assert not w.jobs["status:sim"].run()
    assert not w.jobs["balance:sim"].run()
    assert "status" in _held(w, order)


def test_a_poll_failing_run_after_run_still_holds_the_round(world) -> None:
    # The status calls fail at every poll (a panel timing out its status
    # handler), while the balance answers between the polls: the poll is the
    # panel failing, not an action broken for good, however many runs it fails in.
    w = world()
    (order,) = w.dropped(1)
    w.order(SERVICE_FOLLOWERS, "In progress")  # open: each poll asks the panel
    w.panel.inject("json500", count=1000, action="status")
    for _ in range(4):  # each poll fails, each balance check after it answers
        assert not w.jobs["status:sim"].run()
        assert w.jobs["balance:sim"].run()
    assert not w.jobs["status:sim"].run()  # the poll just before the round fails
    assert "(status)" in _held(w, order)


def _held_told(w: Any) -> list[str]:
    """Run the round, held; return the reasons of the warnings it logged."""
    done, warnings = _round(w)
    assert not done
    return [str(e["reason"]) for e in warnings if e["event"] == "refill_round_held"]


def test_a_long_hold_is_one_warning_not_one_a_round(world) -> None:
    # A soak (refill_every = 1s, the panel killed for a minute) logged 60
    # refill_round_held warnings, one a round, all about the same outage.
    w = world()
    (order,) = w.dropped(1)
    w.order(SERVICE_FOLLOWERS, "In progress")  # open: each poll asks the panel
    w.panel.inject("json500", count=1000, action="status")
    assert not w.jobs["status:sim"].run()
    assert len(_held_told(w)) == 1  # told once: the hold begins
    w.panel.inject("json500", count=1000, action="balance")
    assert not w.jobs["balance:sim"].run()  # another action fails: the same outage
    for _ in range(3):
        assert not w.jobs["status:sim"].run()
        assert _held_told(w) == []
    assert w.requests(order) == []
    w.panel.clear_faults()
    w.poll()  # the panel answers: the hold ends, the round runs
    assert _round(w)[0]
    w.panel.inject("json500", count=1000, action="status")
    assert not w.jobs["status:sim"].run()
    assert len(_held_told(w)) == 1  # a new outage is told again


def test_a_hold_says_its_actions_by_name_whichever_failed_first() -> None:
    # The actions in the order they failed: the same hold was said
    # "(status, balance)" by one run and "(balance, status)" by another
    # (run --once's summary, by which call failed first).
    since = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
    first = held_by(since, ["status", "balance"], False)
    assert first == held_by(since, ["balance", "status", "balance"], False)
    assert first == "its calls have failed since 2026-12-06T06:00:00+00:00 (balance, status)"


def test_a_key_fixed_after_auth_failed_begins_the_daemon_s_counts_anew(world) -> None:
    # The daemon: services failed in two runs of failures; the key was then
    # refused and fixed (auth_failed, auth_recovered). Before: the old count
    # held, the new key's first services failure made it broken (3), and
    # the round went into the failing panel.
    w = world()
    (order,) = w.dropped(1)
    w.order(SERVICE_FOLLOWERS, "In progress")  # open: each poll asks the panel
    w.panel.inject("json500", count=1000, action="services")
    for _ in range(2):  # each run of failures ended by a poll answered
        assert not w.jobs["services:sim"].run()
        w.poll()
    key, w.panel.key = w.panel.key, "another-key-entirely"
    with pytest.raises(JobPaused):
        w.jobs["balance:sim"].run()  # auth_failed
    w.panel.key = key
    assert w.jobs["balance:sim"].run()  # auth_recovered
    assert not w.jobs["services:sim"].run()  # the new key's first run of failures
    assert _held(w, order).endswith("(services)")

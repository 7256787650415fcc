"""Refill windows per service: the guarantee a service's name says ("R90",
"Lifetime Refill") is its orders' window, else refill.window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from refill_world import DAY

from tracker.clock import iso
from tracker.config.model import RefillConfig
from tracker.rules.guarantees import Guarantee, named_guarantee, window_of
from tracker.rules.refill_eligibility import eligibility, order_facts
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_TIKTOK, SERVICES

# A name (category) and what it says: days, "lifetime", "none" (No Refill), or
# None (nothing said: refill.window).
NAMES: list[tuple[str, int | str | None]] = [
    ("Instagram Followers [R30]", 30),
    ("Instagram Followers R60", 60),
    ("Instagram Followers | Refill 30D", 30),
    ("Instagram Followers | 30 Days Refill", 30),
    ("Instagram Followers [Refill: 90 Days]", 90),
    ("Instagram Followers ♻️ 365D", 365),
    ("Instagram Followers | Lifetime Refill", "lifetime"),
    ("Instagram Followers [Refill: Lifetime]", "lifetime"),
    ("Instagram Likes | No Refill", "none"),
    ("Instagram Likes | Non Refill | 30 Days", "none"),
    ("Instagram Followers | Non Drop", None),
    ("Instagram Followers | Refill 30 days", 30),
    ("Instagram Followers R30D | Max 100K", 30),
    ("Instagram Followers [R-90] [10K/Day]", 90),
    ("Real Followers ~ R45 ~ 10K/Day", 45),
    ("Followers [Max 100K] [Speed 5K/Day] [R30]", 30),
    ("TikTok Followers | 30-Day Auto Refill", 30),
    ("YouTube Subscribers | Guaranteed 60 Days", 60),
    ("YouTube Watch Time 4000 Hours [R30]", 30),
    ("Telegram Members | Refill 6 Months", 180),
    ("Telegram Members | 1 Year Refill", 365),
    ("Instagram Followers | 30 Days Guarantee | Non Drop", 30),
    ("Instagram Followers [R30] [Refill 30 Days]", 30),  # said twice alike
    # A quantity, a speed, a start time, a subscription: no guarantee.
    ("Instagram Followers 10K", None),
    ("Instagram Likes | 1K/day", None),
    ("Instagram Views | 30 Min Start", None),
    ("Instagram Views | Refill | 30 Min Start", None),
    ("Auto Likes 30 Days", None),
    ("Instagram Likes | 30 Days", None),
    ("TikTok Views 1M", None),
    ("Instagram Followers [Refill Button] [30 Days]", None),
    ("Instagram Followers | Refill | 30 Days", None),
    ("Instagram Followers | Refill", None),
    ("Server R1 | Instagram Likes", None),  # a server's label, not a day's guarantee
    ("HR30 Views", None),
    ("Instagram Followers [Refill 400 Days]", None),  # past any guarantee sold
    ("Instagram Followers [R30] [R60]", None),  # two that differ: none believed
    ("Instagram Custom Comments", None),
    ("", None),
]


@pytest.mark.parametrize(("name", "says"), NAMES)
def test_a_service_name_says_its_guarantee_or_none(name, says):
    found = named_guarantee(name)
    if says is None:
        assert found is None
    elif isinstance(says, int):
        assert found is not None and (found.kind, found.days) == ("days", says)
    else:
        assert found is not None and found.kind == says


def test_a_hostile_panels_endless_name_says_nothing():
    # Read within its first 500 characters: whitespace by the megabyte is
    # read once, never tried at every split of its run.
    assert named_guarantee("x" * 600 + " [R90]") is None
    assert named_guarantee("1" + " " * 1_000_000 + "Refill") is None
    assert named_guarantee("Refill " + "30 " * 300_000) is None


def test_the_category_is_read_when_the_name_says_nothing():
    found = named_guarantee("Instagram Followers", "Instagram Followers [R90]")
    assert found == Guarantee("days", 90, "R90", "category")
    assert named_guarantee("Followers [R30]", "Followers [R90]") == Guarantee("days", 30, "R30")
    assert named_guarantee("Instagram Likes | No Refill", "Likes [R90]").kind == "none"


def test_the_window_is_the_names_else_refill_window():
    config = RefillConfig()
    assert window_of(named_guarantee("Followers [R90]"), config).said() == (
        "R90 in the service's name, 90d"
    )
    lifetime = window_of(named_guarantee("Followers | Lifetime Refill"), config)
    assert lifetime.said() == "Lifetime Refill in the service's name, refill.lifetime, 365d"
    for nothing in (None, named_guarantee("Likes | No Refill")):
        assert window_of(nothing, config).said() == "refill.window, 30d"
    off = config._replace(window_from_name=False)
    assert window_of(named_guarantee("Followers [R90]"), off).said() == "refill.window, 30d"


def test_an_order_of_an_unknown_service_keeps_refill_window(clock):
    row = {"order_id": 1, "status": "Completed", "completed_at": iso(clock() - timedelta(days=45))}
    named = {**row, "service_refill": 1, "name": "Followers [R90]", "category": None}
    config = RefillConfig(unknown_service="try")
    assert eligibility(order_facts(named), [], config, clock()).eligible
    assert not eligibility(order_facts(row), [], config, clock()).eligible  # no services row


# The simulator, its followers sold as R90 and its TikTok followers as R30: in
# its answer and in what it accepts (a refill inside the guarantee its
# service's name says, refused past it).
NAMED = tuple(
    {
        **s,
        "name": {
            SERVICE_FOLLOWERS: "Instagram Followers [R90]",
            SERVICE_TIKTOK: "TikTok [R30]",
        }.get(s["service"], s["name"]),
    }
    for s in SERVICES
)


def _completed_45_days_ago(world, clock, refill: str = ""):
    w = world(catalogue=NAMED, refill=refill)
    w.sync_services()
    r90, r30 = w.order(SERVICE_FOLLOWERS), w.order(SERVICE_TIKTOK)
    w.poll()  # both Completed now
    ends = iso(clock() + timedelta(days=30))
    clock.advance(45 * DAY)
    return w, r90, r30, ends


def _accepted(request: dict[str, Any]) -> bool:
    """Whether the panel took a refill request: it answered a refill ID."""
    return request["refill_id"] is not None and not request["permanent"]


def test_an_r90_order_gets_its_refill_on_day_45_an_r30_order_does_not(world, clock, monkeypatch):
    monkeypatch.setattr("tracker.cli.history_notes.utcnow", clock, raising=False)
    w, r90, r30, ends = _completed_45_days_ago(world, clock)
    assert w.round()
    [asked] = w.requests(r90)
    assert _accepted(asked), asked  # the panel sells it R90: day 45 is inside
    assert w.requests(r30) == []
    out = w.cli("history", str(r30))
    assert out.exit_code == 0, out.output
    assert (
        f"no automatic refill request: its guarantee (R30 in the service's name, 30d) ended {ends}"
    ) in out.stdout.splitlines()
    # Day 60, 30 of the R90 order dropped: another refill asked, and taken.
    clock.advance(15 * DAY)
    w.panel.drop(r90, 30)
    assert w.round()
    assert [_accepted(r) for r in w.requests(r90)] == [True, True], w.requests(r90)


def test_with_window_from_name_false_refill_window_holds_for_every_order(world, clock):
    w, r90, r30, _ = _completed_45_days_ago(world, clock, "window_from_name = false")
    assert w.round()
    assert w.requests(r90) == [] and w.requests(r30) == []

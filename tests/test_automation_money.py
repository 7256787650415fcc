"""What re-orders spend, against the daily cap: the panel's charges count, a
Partial's own charge raises a stale catalogue rate, a service listed twice and
a Partial the tracker never saw open place nothing. The pure decisions, then
the simulated panel on loopback with the real jobs and CLI; nothing sleeps.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from refill_world import World

from tracker.config.model import AutomationConfig
from tracker.rules.reorder_costs import charged_rate, counted_cost, estimated_cost, reorder_rate
from tracker.rules.reorders import (
    ALONE_ABOVE_CAP,
    AMBIGUOUS_SERVICE,
    CAPPED,
    ENDED_UNSEEN,
    REORDERED_ELSEWHERE,
    UNWATCHED,
    PartialOrder,
    Plan,
    ServiceFacts,
    reorder_plan,
)
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES
from tracker.store import automation as automation_sql
from tracker.store import automation_spend
from tracker.store.alerts import alerts_since
from tracker.store.automation_candidates import partial_candidates

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ON = AutomationConfig(reorder=True, daily_cap=Decimal("10"))
FOLLOWERS = ServiceFacts(rate=Decimal("0.90"), min=100, max=100000, cancel=True)
D = Decimal


@pytest.fixture(autouse=True)
def cli_today(monkeypatch, clock):
    """The `automation` command's "today" is the world's."""
    monkeypatch.setattr("tracker.cli.automation.utcnow", clock)


# --- the pure decisions ----------------------------------------------------------


def test_the_rate_charged_for_a_partial_is_its_charge_over_what_was_delivered():
    assert charged_rate(D("0.09"), 1000, 900) == D("0.9")  # 100 delivered for 0.09
    assert charged_rate(D("8.1"), 1000, 910) == D("90")  # the panel raised its price
    assert charged_rate(D("4.5"), 100, 500, runs=10) == D("9")  # drip-feed: 500 of 1000
    assert charged_rate(D("1"), 1000, -2) == D("1000") / D("1002")  # over-delivered
    assert charged_rate(None, 1000, 900) is None
    assert charged_rate(D("0"), 1000, 900) is None  # nothing charged: nothing to go by
    assert charged_rate(D("-1"), 1000, 900) is None
    assert charged_rate(D("NaN"), 1000, 900) is None
    assert charged_rate(D("1"), 1000, 1000) is None  # nothing delivered
    assert charged_rate(D("1"), 1000, 4285) is None  # remains no delivery figure
    assert charged_rate(D("1"), 1000, None) is None
    assert charged_rate(D("1"), None, 900) is None


def test_a_reorder_is_estimated_at_the_larger_of_the_catalogue_and_the_charge():
    assert reorder_rate(D("0.90"), D("90")) == D("90")
    assert reorder_rate(D("0.90"), D("0.5")) == D("0.90")  # a discount is no promise
    assert reorder_rate(D("0.90"), None) == D("0.90")
    # An unusable catalogue rate stays unusable (skipped): never the charge instead.
    for catalogue in (None, D("0"), D("-1")):
        assert reorder_rate(catalogue, D("90")) == catalogue
    assert estimated_cost(reorder_rate(D("0.90"), D("90")) or D(0), 900) == D("81")


def test_what_a_reorder_counts_toward_the_cap():
    assert counted_cost(D("0.81"), D("81")) == D("81")  # the charge, once polled
    assert counted_cost(D("0.81"), None) == D("0.81")  # not polled yet
    assert counted_cost(D("0.81"), D("0.40")) == D("0.81")  # a partial refund: the estimate
    assert counted_cost(D("-3"), None) == 0  # never money back
    assert counted_cost(None, None) == 0


def test_a_partial_of_a_service_listed_twice_is_not_reordered():
    partial = PartialOrder(1, 1, "https://x/a", 1000, 400, T0)
    assert isinstance(reorder_plan(partial, FOLLOWERS, ON, T0), Plan)
    twice = FOLLOWERS._replace(ambiguous=True)
    assert reorder_plan(partial, twice, ON, T0) == AMBIGUOUS_SERVICE


def test_a_partial_the_tracker_never_saw_open_is_not_reordered():
    partial = PartialOrder(1, 1, "https://x/a", 1000, 400, T0)
    assert reorder_plan(partial._replace(completed_at=None), FOLLOWERS, ON, T0) == ENDED_UNSEEN


# --- end to end -------------------------------------------------------------------

REORDER = "reorder = true\nreorder_services = [{services}]\ndaily_cap = {cap}\n"


def run(w: World) -> bool:
    return w.jobs["automation:sim"].run()


def reorders(w: World) -> list[dict]:
    return [a for a in reversed(automation_sql.actions(w.store)) if a["action"] == "reorder"]


def skipped(w: World) -> dict[int, str]:
    return {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}


def price_raised(w: World, rate: str) -> None:
    """The panel charges ``rate`` per 1000 for the followers service from now
    on; its services answer still lists 0.90, and fails anyway."""
    w.panel.services[SERVICE_FOLLOWERS] = replace(
        w.panel.services[SERVICE_FOLLOWERS], rate=Decimal(rate)
    )
    w.panel.inject("html502", count=1, action="services")
    assert not w.sync_services()  # the catalogue keeps 0.90


def test_the_days_spend_counts_what_the_panel_charged_for_each_reorder(world):
    # QA: the catalogue synced at 0.90, the panel raised the price to 90: the
    # re-orders were estimated at 0.81 and charged 81.00 each, and the cap of
    # 10 was still "4.05 of 10.00" after the charges were polled.
    followers_and_likes = f"{SERVICE_FOLLOWERS}, {SERVICE_LIKES}"
    w = world(automation=REORDER.format(services=followers_and_likes, cap=10), balance="1000")
    assert w.sync_services()
    parents = [w.ended(SERVICE_FOLLOWERS) for _ in range(5)]
    later = w.order(SERVICE_LIKES, "In progress")  # another service, price unchanged
    w.poll()  # the five end Partial, charged at 0.90
    price_raised(w, "90")
    assert run(w)  # estimated at 0.90: all five fit (the charges are not known yet)
    placed = reorders(w)
    assert [(a["order_id"], a["status"]) for a in placed] == [(p, "Placed") for p in parents]
    estimated = sum(Decimal(str(a["estimated_cost"])) for a in placed)
    assert estimated < 10

    w.poll()  # the new orders' charges: at 90 per 1000
    charges = [Decimal(str(w.store.order("sim", a["new_order_id"])["charge"])) for a in placed]
    assert charges == [Decimal(90) * a["quantity"] / 1000 for a in placed]
    spent = automation_spend.spent_since(w.store, "sim", T0.replace(hour=0), dry_run=False)
    assert spent == sum(charges) > 10
    (today,) = json.loads(w.cli("automation", "--json").stdout)["spend"]
    assert today["spent"] == pytest.approx(float(sum(charges)))
    assert f"re-orders today: {sum(charges):.2f} of cap 10.00" in w.cli("automation").stdout

    w.panel.pin(later, "Partial")
    w.poll()
    assert run(w)  # its estimate alone would fit; what was charged today does not
    assert w.panel.calls["add"] == 5
    assert skipped(w)[later] == CAPPED


@pytest.mark.parametrize("label", ["RUB", "$", "US Dollar"])
def test_a_charge_counts_whatever_its_currency_label_says(world, label):
    # A label written differently from the balance's ("$" for USD), or a
    # panel that changed currency: the larger figure counts. Left out, a real
    # charge of 81.00 counted as its 0.81 estimate and the next re-order went.
    w = world(automation=REORDER.format(services=SERVICE_FOLLOWERS, cap=10))
    assert w.sync_services() and w.jobs["balance:sim"].run()  # USD
    w.ended(SERVICE_FOLLOWERS)
    w.poll()
    assert run(w)
    (action,) = reorders(w)
    w.panel.currency = label
    price_raised(w, "90")
    w.poll()
    child = w.store.order("sim", action["new_order_id"])
    assert child["currency"] == label and child["charge"] > action["estimated_cost"]
    spent = automation_spend.spent_since(w.store, "sim", T0.replace(hour=0), dry_run=False)
    assert spent == Decimal(str(child["charge"]))


def test_an_order_placed_with_add_and_first_seen_partial_is_reordered(world):
    # Placed by the tracker, it ended after it was placed: a fast service
    # seen Partial at its first poll is no order of months ago.
    w = world(automation=REORDER.format(services=SERVICE_FOLLOWERS, cap=100))
    assert w.sync_services()
    placed = w.cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "1000")
    assert placed.exit_code == 0, placed.output
    (row,) = w.store.rows("SELECT order_id FROM orders WHERE source = 'add'")
    order_id = row["order_id"]
    w.panel.pin(order_id, "Partial")
    w.poll()  # its first status: Partial already
    assert run(w)
    assert [a["order_id"] for a in reorders(w)] == [order_id]


def test_a_reorder_is_estimated_at_what_the_panel_charged_for_its_partial(world):
    w = world(automation=REORDER.format(services=SERVICE_FOLLOWERS, cap=100))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    price_raised(w, "90")
    w.poll()  # it ends Partial, charged at 90 per 1000 for what was delivered
    assert run(w)
    (action,) = reorders(w)
    assert action["order_id"] == parent
    assert Decimal(str(action["estimated_cost"])) == Decimal(90) * action["quantity"] / 1000


def test_a_partial_charged_at_a_raised_price_is_not_reordered_past_the_cap(world):
    # Its estimate alone passes the cap, whatever was spent: it never goes, and
    # it holds back no cheaper re-order after it (it held every one, for days,
    # under "daily cap reached (0.00 spent today)").
    followers_and_likes = f"{SERVICE_FOLLOWERS}, {SERVICE_LIKES}"
    w = world(automation=REORDER.format(services=followers_and_likes, cap=5))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    price_raised(w, "90")
    cheap = w.ended(SERVICE_LIKES)  # a later ID, of a service whose price held
    w.poll()
    assert run(w)  # 90 per 1000 of at least 100 (the service's min): above 5
    assert skipped(w) == {parent: ALONE_ABOVE_CAP}
    assert [a["order_id"] for a in reorders(w)] == [cheap]
    assert w.panel.calls["add"] == 1
    assert not [a for a in alerts_since(w.store, None) if a["kind"] == "automation_capped"]


def test_a_service_listed_twice_with_different_terms_places_no_reorder(world):
    w = world(automation=REORDER.format(services=SERVICE_FOLLOWERS, cap=100))
    assert w.sync_services()  # 0.90 stored
    parent = w.ended(SERVICE_FOLLOWERS)
    w.panel.script = ScriptQuirks(twice_listed=True)
    assert w.sync_services()  # a service_conflicts row; the services row kept
    assert w.store.rows("SELECT service FROM service_conflicts") == [{"service": 1}]
    w.poll()
    assert run(w) and run(w)
    assert w.panel.calls["add"] == 0 and reorders(w) == []
    (row,) = partial_candidates(
        w.store, "sim", T0 - timedelta(days=3), dry_run=False, after=0, limit=10
    )
    assert row["service_ambiguous"] is True and row["service_rate"] is None
    assert skipped(w)[parent] == AMBIGUOUS_SERVICE

    w.panel.script = ScriptQuirks()
    assert w.sync_services()  # listed clearly again
    assert run(w)
    assert [(a["order_id"], a["status"]) for a in reorders(w)] == [(parent, "Placed")]


def test_a_partial_tracked_after_it_ended_is_not_reordered(world):
    # `smm-tracker track ID` of an order that ended Partial months ago: its
    # completed_at is when the tracker first saw it, today. An order seen
    # open, then Partial, beside it is re-ordered as ever.
    w = world(automation=REORDER.format(services=SERVICE_FOLLOWERS, cap=100))
    assert w.sync_services()
    seen = w.ended(SERVICE_FOLLOWERS)
    old = w.order(SERVICE_FOLLOWERS, "Partial")  # already Partial when first asked
    w.poll()
    first = w.store.rows(
        "SELECT from_status, to_status FROM transitions WHERE order_id = ? ORDER BY id", [old]
    )
    assert first == [{"from_status": None, "to_status": "Partial"}]
    assert run(w) and run(w)
    assert [a["order_id"] for a in reorders(w)] == [seen]
    assert w.panel.calls["add"] == 1
    assert skipped(w) == {old: ENDED_UNSEEN}
    assert "it had ended before the tracker saw it" in w.cli("automation").stdout
    # A later change of its remains (Partial -> Partial) is no sight of its end.
    with w.store.write() as writing:
        writing.execute(
            "INSERT INTO transitions (panel, order_id, at, from_status, to_status, remains) "
            "VALUES ('sim', ?, ?, 'Partial', 'Partial', 400)",
            [old, w.clock().isoformat(timespec="seconds")],
        )
    assert run(w) and w.panel.calls["add"] == 1


def test_a_partial_seen_after_days_stopped_is_not_reordered(world, clock):
    # The tracker stopped for 4 days (reorder_within is 3): the order went
    # Partial some time in those days, maybe on the first. It was re-ordered,
    # completed_at being when the first poll after the stop saw it.
    w = world(automation=REORDER.format(services=SERVICE_FOLLOWERS, cap=100))
    assert w.sync_services()
    stopped = w.ended(SERVICE_FOLLOWERS)  # seen In progress, then ends unseen
    clock.advance(4 * 86400)
    assert w.sync_services()
    seen = w.ended(SERVICE_FOLLOWERS)  # this poll sees `stopped` Partial
    clock.advance(600)
    w.poll()  # `seen` watched throughout: re-ordered as ever
    assert run(w)
    assert [a["order_id"] for a in reorders(w)] == [seen]
    assert skipped(w) == {stopped: UNWATCHED}
    assert "the tracker had not checked it for longer" in w.cli("automation").stdout
    checked = w.store.rows(
        "SELECT checked_before, at FROM transitions WHERE order_id = ? AND to_status = 'Partial'",
        [stopped],
    )
    assert [(r["checked_before"][:10], r["at"][:10]) for r in checked] == [
        ("2026-11-01", "2026-11-05")
    ]


def test_a_gap_between_checks_only_counts_past_what_the_polls_explain():
    partial = PartialOrder(
        1, 1, "https://x.test/p", 1000, 500, completed_at=T0, checked_before=T0 - timedelta(hours=3)
    )
    hour = 3600.0
    # 3 h unchecked (past 2 x status_max_every), ended inside reorder_within
    assert isinstance(reorder_plan(partial, FOLLOWERS, ON, T0, watched_gap=2 * hour), Plan)
    # ... but not when the check before is outside it
    within_2h = ON._replace(reorder_within=2 * hour)
    assert reorder_plan(partial, FOLLOWERS, within_2h, T0, watched_gap=2 * hour) == UNWATCHED
    # A short reorder_within with checks an hour apart, as the polls go: re-ordered
    hourly = partial._replace(checked_before=T0 - timedelta(hours=1))
    within_10m = ON._replace(reorder_within=600.0)
    assert isinstance(reorder_plan(hourly, FOLLOWERS, within_10m, T0, watched_gap=2 * hour), Plan)
    # Rows from before m026 (no checked_before): as before
    assert isinstance(
        reorder_plan(partial._replace(checked_before=None), FOLLOWERS, within_2h, T0), Plan
    )


def test_one_order_tracked_under_two_panel_names_is_reordered_once(world, clock):
    # Two [[panels]] entries for one panel (or one renamed and the order
    # tracked again): each saw the order go Partial, each re-ordered it.
    from tracker.config.load import load_config
    from tracker.jobs.tracker import Tracker

    w = world(automation=REORDER.format(services=SERVICE_FOLLOWERS, cap=100))
    twin_path = w.path.with_name("twin.toml")
    config = w.path.read_text()
    twin_path.write_text(config.replace('name = "sim"', 'name = "twin"'))
    twin = Tracker(load_config(str(twin_path), env={}), clock=clock)
    twin.everything = True  # each poll checks every open order, as the World's
    try:
        jobs = {job.name: job for job in twin.jobs()}
        assert w.sync_services() and jobs["services:twin"].run()
        order_id = w.order(SERVICE_FOLLOWERS, "In progress")
        details = {"service": SERVICE_FOLLOWERS, "link": w.link(order_id), "quantity": 1000}
        twin.store.track("twin", [order_id], clock(), **details)
        w.poll()
        assert twin.poll("twin")
        w.panel.pin(order_id, "Partial")
        w.poll()
        assert twin.poll("twin")  # both saw it go Partial
        assert jobs["automation:twin"].run()
        assert run(w)
        assert w.panel.calls["add"] == 1
        assert [(a["panel"], a["order_id"]) for a in reorders(w)] == [("twin", order_id)]
        assert skipped(w) == {order_id: REORDERED_ELSEWHERE}
    finally:
        twin.close()


def test_a_reorder_is_recorded_once_when_two_panel_names_decide_side_by_side(world, clock):
    # Both read their candidates before either recorded its re-order.
    w = world()
    link = "https://x.test/p"
    for panel in ("sim", "twin"):
        w.store.track(panel, [77], clock(), service=SERVICE_FOLLOWERS, link=link, quantity=10)
    first = automation_sql.begin_action(w.store, "sim", 77, "reorder", clock(), link=link)
    second = automation_sql.begin_action(w.store, "twin", 77, "reorder", clock(), link=link)
    assert first is not None and second is None
    # The same ID with another link on another panel is another order.
    other = "https://x.test/other"
    w.store.track("third", [77], clock(), service=SERVICE_FOLLOWERS, link=other, quantity=10)
    assert automation_sql.begin_action(w.store, "third", 77, "reorder", clock(), link=other)


def test_a_reorder_under_another_panel_name_is_looked_up_by_index(tmp_path):
    # Without an index by order ID (m027), a database never analyzed scanned
    # every automation action for each candidate: 0.6 s per 100 at 98k rows.
    import sqlite3

    from tracker.store.orders import Store

    Store(tmp_path / "t.db").close()
    conn = sqlite3.connect(tmp_path / "t.db")
    plan = [
        r[3]
        for r in conn.execute("EXPLAIN QUERY PLAN " + automation_sql._ELSEWHERE, [1, "x", 0, "l"])
    ]
    conn.close()
    assert any("USING COVERING INDEX automation_actions_order" in step for step in plan), plan

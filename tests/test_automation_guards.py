"""Automation against panels that answer what they should not: a rate of 0 or
below in ``services``, a key refused in words the tracker does not know, an
``add`` answer naming an order already tracked. Through the simulated panel on
loopback, the real jobs and the real CLI; nothing sleeps.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from automation_kit import REORDER, cli_today, run  # noqa: F401  (fixture)
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import KEY, H, World

from tracker.errors import JobPaused
from tracker.rules.reorders import AMBIGUOUS_SERVICE, NO_RATE
from tracker.rules.stale_pending import UNCONFIRMED
from tracker.sim.catalogue import SERVICES
from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql
from tracker.store.alerts import alerts_since


def actions(w: World, action: str) -> list[dict]:
    return [a for a in reversed(automation_sql.actions(w.store)) if a["action"] == action]


def rate_is(w: World, rate: object) -> None:
    """Make the panel's services answer give the followers service ``rate``, and
    the panel charge its orders at it (a Partial's charge says what it charges)."""
    listed = [dict(s, rate=rate) if s["service"] == SERVICE_FOLLOWERS else s for s in SERVICES]
    w.panel._services = lambda form, now: listed  # type: ignore[method-assign]
    charged = replace(w.panel.services[SERVICE_FOLLOWERS], rate=Decimal(str(rate)))
    w.panel.services[SERVICE_FOLLOWERS] = charged


# --- 1. a rate of 0 or below never gets round the daily cap --------------------------


@pytest.mark.parametrize("rate", ["-1.0", "0", 0, -0.5, "0.00000000001"])
def test_a_rate_of_zero_or_below_places_no_reorder_and_says_why(world, rate):
    w = world(automation=REORDER)
    rate_is(w, rate)
    assert w.sync_services()
    parents = [w.ended(SERVICE_FOLLOWERS) for _ in range(4)]
    w.poll()
    assert run(w) and run(w)
    assert w.panel.calls["add"] == 0
    assert actions(w, "reorder") == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {p: NO_RATE for p in parents}
    shown = json.loads(w.cli("automation", "--json").stdout)
    assert [s["spent"] for s in shown["spend"]] == [0.0]
    text = w.cli("automation").stdout
    assert "sim: re-orders today: 0.00 of cap 1.00\n" in text  # no balance yet: no currency
    assert "no usable rate" in text
    # The cap is in the panel's own money: the currency its balance is in.
    assert w.jobs["balance:sim"].run()
    assert "sim: re-orders today: 0.00 of cap 1.00 USD\n" in w.cli("automation").stdout
    assert json.loads(w.cli("automation", "--json").stdout)["spend"][0]["currency"] == "USD"


def test_a_negative_cost_recorded_earlier_never_gives_spend_back(world):
    w = world(automation=REORDER)
    assert w.sync_services()  # followers: 0.90 per 1000
    old = w.order(SERVICE_FOLLOWERS, "Partial")
    # A re-order an older version placed at a rate of -1.0 and counted as -3.00.
    automation_sql.begin_action(
        w.store, "sim", old, "reorder", w.clock(), status="Placed", estimated_cost=Decimal("-3")
    )
    parents = [w.ended(SERVICE_FOLLOWERS) for _ in range(3)]
    w.poll()
    assert "sim: re-orders today: 0.00 of cap 1.00" in w.cli("automation").stdout
    assert run(w)
    costs = [a["estimated_cost"] for a in actions(w, "reorder") if a["order_id"] in parents]
    assert 0 < sum(costs) <= 1.0 and len(costs) < 3  # the -3.00 made no room
    assert w.panel.calls["add"] == len(costs)
    (today,) = json.loads(w.cli("automation", "--json").stdout)["spend"]
    assert today["spent"] == pytest.approx(sum(costs))


# --- 2. a key refused in unknown words pauses the job; no order is marked Refused ----

IP_REFUSAL = "Access denied: IP 10.1.2.3 is not whitelisted"
CANCEL = 'cancel_pending = true\ncancel_pending_after = "24h"\n'


def refusing_world(world, automation: str) -> World:
    from tracker.sim.scripts import ScriptQuirks

    w = world(automation=automation, script=ScriptQuirks(key_refusal=IP_REFUSAL))
    assert w.sync_services()
    # A balance of this run: not asked again before a re-order (the add's refusal is tried).
    assert w.jobs["balance:sim"].run()
    return w


def key_refused(w: World, refused: bool) -> None:
    """The panel refuses the tracker's key (an IP allow-list) or accepts it again."""
    w.panel.key = "another-key-entirely" if refused else KEY


def refuse_after_one(w: World, action: str) -> None:
    """Make the panel answer one call of ``action`` (its method, "_add") as
    usual, then refuse the key to every call from the next on."""
    original = getattr(w.panel, action)

    def then_refuse(form, now):
        answer = original(form, now)
        key_refused(w, True)
        return answer

    setattr(w.panel, action, then_refuse)


def auth_alerts(w: World) -> list[str]:
    return [a["kind"] for a in alerts_since(w.store, None, limit=1000) if "auth" in a["kind"]]


def test_a_reorder_refused_for_the_key_in_unknown_words_is_tried_again_once_accepted(world):
    w = refusing_world(world, REORDER.replace("1.0", "100"))
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    key_refused(w, True)
    with pytest.raises(JobPaused):  # refused: paused, no failure
        run(w)
    assert w.panel.calls["add"] == 1 and w.panel.calls["balance"] >= 1  # the witness asked
    assert actions(w, "reorder") == []  # not Refused: nothing about this order
    assert auth_alerts(w) == ["auth_failed"]
    with pytest.raises(JobPaused):  # paused: nothing sent
        run(w)
    assert w.panel.calls["add"] == 1

    key_refused(w, False)
    assert w.jobs["balance:sim"].run()  # the key works again: the panel resumes
    assert run(w)
    (row,) = actions(w, "reorder")
    assert row["order_id"] == parent and row["status"] == "Placed"
    assert w.store.order("sim", row["new_order_id"])["parent_order_id"] == parent


def test_a_reorder_refused_while_the_panel_answers_otherwise_is_this_orders_refusal(world):
    w = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    w.ended(SERVICE_FOLLOWERS)
    w.poll()
    w.panel._add = lambda form, now: {"error": "Link is private"}  # type: ignore[method-assign]
    assert run(w)
    (row,) = actions(w, "reorder")
    assert row["status"] == "Refused" and row["error"] == "Link is private"
    assert auth_alerts(w) == []


def placing_then(w: World, answer: dict) -> list[int]:
    """Make the panel place each order it is sent, then answer ``answer`` (a
    script failing after its INSERT); return the IDs it placed."""
    original, placed = w.panel._add, []

    def add(form, now):
        placed.append(original(form, now)["order"])
        return answer

    w.panel._add = add  # type: ignore[method-assign]
    return placed


def reorder_alerts(w: World) -> list[dict]:
    return [
        a for a in alerts_since(w.store, None, limit=1000) if a["kind"] == "automation_reordered"
    ]


@pytest.mark.parametrize(
    "words",
    [
        "Too many requests",
        "SQLSTATE[40001]: Serialization failure: 1213 Deadlock found",
        "Internal server error",
    ],
)
def test_a_reorder_answered_busy_or_fault_words_is_unknown_and_never_sent_again(world, words):
    # Said after the panel acted, maybe: sent again at each run, it placed an
    # order each time, none counted toward the cap.
    w = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    placed = placing_then(w, {"error": words})
    assert not run(w)
    for _ in range(3):
        w.clock.advance(600)
        run(w)
    assert len(placed) == 1 and w.panel.calls["add"] == 1
    (row,) = actions(w, "reorder")
    assert row["order_id"] == parent and row["status"] == "Unknown"
    assert row["error"].startswith("outcome unknown — check the panel before placing it again")
    (today,) = json.loads(w.cli("automation", "--json").stdout)["spend"]
    assert today["spent"] == pytest.approx(0.45)  # may have been placed: it counts
    (alert,) = reorder_alerts(w)
    assert alert["severity"] == "warning"
    # The panel's words, as a refusal's are: what to look for on the panel.
    assert alert["message"] == (
        f"sim: automatic re-order of 1 order: #{parent} outcome unknown - check the panel: "
        f"'{words}'"
    )


def test_a_reorder_refused_while_the_witness_fails_too_is_unknown_and_never_sent_again(world):
    # Nothing says whether these words refused the key, this order, or came
    # from a panel failing after it placed the order: never sent twice.
    w = refusing_world(world, REORDER.replace("1.0", "100"))
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    key_refused(w, True)
    w.panel.inject("html502", count=1, action="balance")  # the witness cannot say
    assert not run(w)
    assert w.panel.calls["add"] == 1
    key_refused(w, False)
    w.clock.advance(600)
    run(w)
    assert w.panel.calls["add"] == 1
    (row,) = actions(w, "reorder")
    assert row["order_id"] == parent and row["status"] == "Unknown"
    assert IP_REFUSAL in row["error"]


def test_a_refused_reorder_is_alerted_as_refused_not_as_placed(world):
    w = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    w.panel._add = lambda form, now: {"error": "Not enough funds on balance"}  # type: ignore[method-assign]
    assert run(w)
    (alert,) = reorder_alerts(w)
    assert alert["severity"] == "warning"
    assert alert["message"] == (
        f"sim: automatic re-order of 1 order: #{parent} refused: 'Not enough funds on balance'"
    )


def test_reorders_placed_before_a_key_refusal_are_still_alerted(world):
    w = refusing_world(world, REORDER.replace("1.0", "100"))
    first, second = (w.ended(SERVICE_FOLLOWERS) for _ in range(2))
    w.poll()
    refuse_after_one(w, "_add")
    with pytest.raises(JobPaused):  # refused: paused, no failure
        run(w)
    (row,) = actions(w, "reorder")  # the second: not Refused, asked again later
    assert row["order_id"] == first and row["status"] == "Placed"
    (alert,) = reorder_alerts(w)
    assert alert["severity"] == "info"
    assert alert["message"] == f"sim: automatic re-order of 1 order: #{first} placed"
    assert auth_alerts(w) == ["auth_failed"]
    assert second not in {a["order_id"] for a in actions(w, "reorder")}


@pytest.mark.usefixtures("fresh_logs")
def test_a_reorder_placed_but_not_stored_leaves_its_id_in_the_log(world, monkeypatch):
    from structlog.testing import capture_logs

    from tracker.errors import StoreError

    w = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()

    def full(*args, **kwargs):
        raise StoreError("disk full while writing t.db")

    original, answered = w.panel._add, []

    def add(form, now):
        answered.append(original(form, now))
        return answered[-1]

    w.panel._add = add  # type: ignore[method-assign]
    monkeypatch.setattr(automation_sql, "record_placed", full)
    with capture_logs() as logs, contextlib.suppress(StoreError):
        run(w)
    (said,) = [e for e in logs if e["event"] == "reorder_not_recorded"]
    new_id = answered[0]["order"]
    assert said["order"] == parent and said["new_order"] == new_id
    assert said["hint"] == f"smm-tracker track {new_id} --panel sim"


def stale_pending(w, count: int) -> list[int]:
    """Place ``count`` orders that stay Pending, seen by a poll now and again 25 h later."""
    stale = [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(count)]
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    return stale


def test_a_stale_pending_cancel_refused_for_the_key_in_unknown_words_is_sent_again(world):
    w = refusing_world(world, CANCEL)
    stale = stale_pending(w, 2)
    key_refused(w, True)
    with pytest.raises(JobPaused):  # refused: paused, no failure
        run(w)
    assert w.panel.calls["cancel"] == 1
    assert actions(w, "cancel") == []  # not Refused
    assert w.store.rows("SELECT * FROM cancels") == []
    assert auth_alerts(w) == ["auth_failed"]

    key_refused(w, False)
    assert w.jobs["balance:sim"].run()
    assert run(w)
    assert w.panel.calls["cancel"] == 2
    assert [(a["order_id"], a["status"]) for a in actions(w, "cancel")] == [
        (o, "Requested") for o in stale
    ]


def test_a_key_refused_to_the_first_of_several_cancel_calls_leaves_every_order_for_later(world):
    # 101 stale orders: two calls. The key refused to the first, nothing more
    # is sent; the second call's order used to stay "Sending", then closed as
    # Unknown ("interrupted") and was never canceled.
    w = refusing_world(world, CANCEL)
    stale = stale_pending(w, 101)
    key_refused(w, True)
    with pytest.raises(JobPaused):  # refused: paused, no failure
        run(w)
    assert w.panel.calls["cancel"] == 1
    assert actions(w, "cancel") == []
    assert w.store.rows("SELECT * FROM cancels") == []

    key_refused(w, False)
    assert w.jobs["balance:sim"].run()
    w.clock.advance(600)  # past the grace after which a row left Sending is Unknown
    w.poll()
    assert run(w)
    assert w.panel.calls["cancel"] == 3
    assert {(a["order_id"], a["status"]) for a in actions(w, "cancel")} == {
        (o, "Requested") for o in stale
    }


def test_cancels_made_before_a_key_refusal_are_still_alerted(world):
    w = refusing_world(world, CANCEL)
    stale = stale_pending(w, 101)
    refuse_after_one(w, "_cancel")
    with pytest.raises(JobPaused):  # refused: paused, no failure
        run(w)
    done = {a["order_id"] for a in actions(w, "cancel")}
    assert done == set(stale[:100])  # the 101st: not Refused, asked again later
    (alert,) = [
        a for a in alerts_since(w.store, None, limit=1000) if a["kind"] == "automation_canceled"
    ]
    assert "automatic cancel of 100 orders" in alert["message"]


def test_a_cancel_call_refused_as_a_whole_is_split_down_to_the_order_refused(world):
    # One order provokes a whole-call refusal while the panel answers otherwise:
    # nothing was canceled, so halves are asked until that order stands alone.
    from tracker.sim.orders import SimRefusal

    w = world(automation=CANCEL)
    assert w.sync_services()
    stale = [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(4)]
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    original = w.panel._cancel

    def picky(form, now):
        if str(stale[2]) in form.get("orders", "").split(","):
            raise SimRefusal("Order is being processed")  # a whole-answer error
        return original(form, now)

    w.panel._cancel = picky  # type: ignore[method-assign]
    run(w)
    got = {a["order_id"]: a["status"] for a in actions(w, "cancel")}
    assert got == {
        stale[0]: "Requested",
        stale[1]: "Requested",
        stale[2]: "Refused",
        stale[3]: "Requested",
    }
    assert w.panel.calls["cancel"] <= 2 * len(stale) - 1  # bounded: at most one call per node


def test_a_cancel_answer_keyed_by_order_id_is_read(world):
    # {"ID": 1, "ID": {"error": ...}} instead of the documented list: each
    # order's own answer, no longer Unknown for every order of the call.
    w = world(automation=CANCEL)
    assert w.sync_services()
    taken, kept = (w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(2))
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    keyed = {str(taken): 1, str(kept): {"error": "Order is in progress"}}
    w.panel._cancel = lambda form, now: keyed  # type: ignore[method-assign]
    assert run(w)
    got = [(a["order_id"], a["status"], a["error"]) for a in actions(w, "cancel")]
    assert got == [(taken, "Requested", None), (kept, "Refused", "Order is in progress")]
    assert w.panel.calls["cancel"] == 1


# --- 3. an add answer naming an order already tracked is no proof of a new one ------


def test_a_reorder_answered_with_an_order_already_tracked_leaves_that_order_alone(world):
    w = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    first, second = (w.ended(SERVICE_FOLLOWERS) for _ in range(2))
    done = w.order(SERVICE_FOLLOWERS, "Completed")
    w.poll()
    before = w.store.order("sim", done)
    w.panel._add = lambda form, now: {"order": done}  # type: ignore[method-assign]
    assert not run(w)  # outcome unknown: the run stops there
    (row,) = actions(w, "reorder")
    assert row["order_id"] == first and row["status"] == "Unknown"
    assert row["new_order_id"] is None
    assert f"answered order {done}, which is already tracked" in row["error"]
    assert "check the panel" in row["error"]
    assert w.store.order("sim", done) == before  # lineage and details untouched
    assert not run(w)
    assert [(a["order_id"], a["status"]) for a in actions(w, "reorder")] == [
        (first, "Unknown"),
        (second, "Unknown"),
    ]
    assert run(w) and w.panel.calls["add"] == 2  # each counted as sent: never again
    assert w.store.order("sim", done) == before


def test_one_id_answered_for_two_reorders_of_one_run_tracks_only_the_first(world):
    w = world(automation=REORDER.replace("1.0", "100"))
    assert w.sync_services()
    first, second = (w.ended(SERVICE_FOLLOWERS) for _ in range(2))
    w.poll()
    w.panel._add = lambda form, now: {"order": 990001}  # type: ignore[method-assign]
    assert not run(w)
    placed, doubt = actions(w, "reorder")
    assert (placed["order_id"], placed["status"], placed["new_order_id"]) == (
        first,
        "Placed",
        990001,
    )
    assert (doubt["order_id"], doubt["status"]) == (second, "Unknown")
    child = w.store.order("sim", 990001)
    assert child["parent_order_id"] == first and child["source"] == "reorder"


# --- a Pending status not re-checked lately cancels nothing -------------------------


def test_a_stale_pending_is_canceled_only_once_a_status_check_confirmed_it(world):
    w = world(automation=CANCEL)
    assert w.sync_services()
    moved, still = (w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(2))
    w.poll()
    w.panel.pin(moved, "In progress")  # delivery starts while the tracker is stopped
    w.clock.advance(25 * H)  # no poll since: both stored Pending 25 h ago
    assert run(w)
    assert w.panel.calls["cancel"] == 0 and actions(w, "cancel") == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {o: UNCONFIRMED for o in (moved, still)}
    w.poll()  # the poll sees the truth
    assert run(w)
    assert [(a["order_id"], a["status"]) for a in actions(w, "cancel")] == [(still, "Requested")]
    assert w.panel.order(moved).status == "In progress"


def listed_twice(w: World, **terms: object) -> None:
    """Make the panel's services answer list the followers service a second
    time, with ``terms`` changed: never stored (no sync before)."""
    (followers,) = [s for s in SERVICES if s["service"] == SERVICE_FOLLOWERS]
    listed = [*SERVICES, {**followers, **terms}]
    w.panel._services = lambda form, now: listed  # type: ignore[method-assign]
    assert w.sync_services()


def test_a_stale_pending_of_a_service_listed_twice_is_skipped_in_those_words(world):
    # Skipped as "its service is not in the panel's services list": it is, twice.
    w = world(automation=CANCEL)
    listed_twice(w, cancel=False)
    stale = w.order(SERVICE_FOLLOWERS, "Pending")
    w.clock.advance(25 * H)
    w.poll()
    assert run(w)
    assert w.panel.calls["cancel"] == 0 and actions(w, "cancel") == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert list(skipped) == [stale]
    assert skipped[stale].startswith("its service is listed twice with different terms")
    assert "whether it can be canceled is unknown" in skipped[stale]
    assert "listed twice with different terms" in w.cli("automation").stdout


def test_a_partial_of_a_service_listed_twice_is_skipped_in_those_words(world):
    w = world(automation=REORDER.replace("1.0", "100"))
    listed_twice(w, max="500")
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    assert run(w)
    assert w.panel.calls["add"] == 0 and actions(w, "reorder") == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {parent: AMBIGUOUS_SERVICE}


def test_an_order_back_to_pending_is_stale_only_that_long_after_it_went_back(world):
    # A panel answering Pending again after In progress (a provider retried):
    # its staleness counts from then, not from when the tracker first saw it.
    w = world(automation=CANCEL)
    assert w.sync_services()
    back = w.order(SERVICE_FOLLOWERS, "In progress")
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    w.panel.pin(back, "Pending")
    w.poll()  # Pending again, first seen 25 h ago
    assert run(w)
    assert w.panel.calls["cancel"] == 0 and actions(w, "cancel") == []
    w.clock.advance(25 * H)
    w.poll()  # Pending for 25 h since it went back
    assert run(w)
    (cancel,) = actions(w, "cancel")
    assert cancel["order_id"] == back and cancel["status"] == "Requested"
    went_back = w.store.history("sim", back)[-1]["at"]
    assert cancel["reason"] == f"Pending since {went_back}"


def test_automation_json_settings_show_every_automation_key():
    # `automation --json` says what the automation runs by: every key of
    # [automation], as the example config lists them (the cap, the re-order
    # rounding and minimum were missing).
    import tomllib
    from importlib.resources import files

    from tracker.cli.automation import settings
    from tracker.config.model import AutomationConfig

    example = tomllib.loads(files("tracker.data").joinpath("config.example.toml").read_text())
    config = AutomationConfig()._replace(
        daily_cap=Decimal("12.50"),
        daily_cap_panels=(("main", Decimal("25")),),
        stall_after_service=((12, (("Pending", 172800.0),)),),
    )
    shown = settings(config)
    assert set(shown) == set(example["automation"])
    assert shown["daily_cap"] == 12.5 and shown["daily_cap_panels"] == {"main": 25.0}
    assert shown["stall_after_service"] == {"12": {"Pending": "2d"}}
    assert shown["reorder_within"] == "3d" and shown["reorder_below_min"] == "raise"
    assert json.loads(json.dumps(shown)) == shown  # plain JSON values

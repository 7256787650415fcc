"""Automation end to end: stalls, re-orders of Partial remainders, stale Pending
cancels, the daily cap and dry runs, against the simulated panel.

The panel and the tracker share one FakeClock (tests/refill_world.py); the
status poll and the automation job are run by hand as time moves, as the
daemon would run them. Nothing sleeps.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from raised import Raised
from refill_world import DAY, KEY, H, World

from tracker.clock import parse_iso
from tracker.rules.reorders import STALE_SERVICE
from tracker.sim.orders import SimRefusal
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES, SERVICE_TIKTOK, SimulatedPanel
from tracker.store import automation as automation_sql
from tracker.store.alerts import alerts_since

STEP = 600.0  # [automation] every default: 10 minutes


def run(w: World) -> bool:
    return w.jobs["automation:sim"].run()


def cycles(w: World, hours: float) -> None:
    """Poll and run the automation job every 10 minutes for ``hours``."""
    for _ in range(int(hours * H / STEP)):
        w.clock.advance(STEP)
        w.poll()
        assert run(w)


def kinds(w: World, kind: str) -> list[dict]:
    return [a for a in alerts_since(w.store, None, limit=1000) if a["kind"] == kind]


def actions(w: World, action: str) -> list[dict]:
    """Return the automation's actions of one kind, oldest first."""
    return [a for a in reversed(automation_sql.actions(w.store)) if a["action"] == action]


def partial_remains(n: int, quantity: int = 1000) -> list[int]:
    """The remains the world's panel (seed 7) gives its first ``n`` Partial orders."""
    scratch = SimulatedPanel(key=KEY, seed=7, speed=60.0)
    ids = scratch.seed_orders(n, status="Partial", quantity=quantity)
    return [scratch.order(i).remains for i in ids]


# --- stalls ----------------------------------------------------------------------


def test_the_stall_watch_judges_only_what_changed_and_time_still_stalls(world):
    from tracker.config.model import AutomationConfig
    from tracker.jobs.stalls import watch_stalls

    w = world()
    busy = w.order(SERVICE_FOLLOWERS, "In progress")  # stalls after 6 h unchanged
    quiet = [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(3)]  # after 12 h
    w.poll()
    alerts = Raised()

    def watch(config: AutomationConfig | None = None) -> dict:
        settings = config or AutomationConfig()
        return watch_stalls(w.store, "sim", settings, alerts, w.clock, medians={}, late=STEP)

    assert watch()["judged"] == 4  # first sight: every open order
    w.clock.advance(STEP)
    assert watch()["judged"] == 0  # nothing changed, no threshold reached

    w.panel.pin(quiet[0], "In progress")  # one order moves
    w.poll()
    assert watch()["judged"] == 1

    w.clock.advance(6 * H - STEP / 2)  # busy sat over 6 h: time alone stalls it
    w.poll()  # (as the panel confirms: an order not checked lately never stalls)
    counts = watch()
    assert counts["stalled"] == 1 and counts["judged"] == 1
    assert [o["order_id"] for o in alerts.alerts[0].data["orders"]] == [busy]
    assert watch()["judged"] == 0  # no repeat: the episode is open

    stricter = AutomationConfig(stall_after=(("Pending", 3600.0),))
    counts = watch(stricter)  # new settings: every open order judged again
    assert counts["judged"] == 4 and counts["stalled"] == 2  # the two left Pending


def test_a_stalled_order_raises_one_order_stalled_and_one_order_moving(world):
    w = world()
    stuck = w.order(SERVICE_FOLLOWERS, "Pending")  # stalls after 12 h (the default)
    busy = w.order(SERVICE_FOLLOWERS, "In progress")  # stalls after 6 h
    w.poll()
    assert run(w)
    cycles(w, 5)
    assert kinds(w, "order_stalled") == []

    cycles(w, 2)  # busy: In progress, remains unchanged for 7 h
    (first,) = kinds(w, "order_stalled")
    (shown,) = first["data"]["orders"]
    assert shown["order_id"] == busy and shown["status"] == "In progress"
    assert shown["remains"] == 500 and shown["quantity"] == 1000
    assert 6 * H < shown["unchanged_seconds"] <= 6 * H + STEP
    assert "unchanged for longer than 6h" in first["message"]

    cycles(w, 6)  # stuck: Pending for 13 h; busy still stalled, not alerted again
    stalled = kinds(w, "order_stalled")
    assert [[o["order_id"] for o in a["data"]["orders"]] for a in stalled] == [[busy], [stuck]]
    listed = json.loads(w.cli("orders", "--stalled", "--json").stdout)
    assert [o["order_id"] for o in listed] == [busy, stuck]
    assert all(o["stalled_at"] for o in listed)
    # history shows the order as orders does: its stall and eta too.
    one = json.loads(w.cli("history", str(busy), "--json").stdout)["order"]
    assert {k: one[k] for k in ("stalled_at", "eta", "untracked", "lost")} == {
        k: listed[0][k] for k in ("stalled_at", "eta", "untracked", "lost")
    }
    assert f"stalled since {listed[0]['stalled_at']}" in w.cli("history", str(busy)).stdout

    w.panel.pin(stuck, "In progress")  # the provider starts at last
    cycles(w, 1)
    (moving,) = kinds(w, "order_moving")
    (again,) = moving["data"]["orders"]
    assert again["order_id"] == stuck and again["status"] == "In progress"
    assert "moving again" in moving["message"]
    assert [o["order_id"] for o in json.loads(w.cli("orders", "--stalled", "--json").stdout)] == [
        busy
    ]

    cycles(w, 3)  # moving: no new alert of either kind
    assert len(kinds(w, "order_stalled")) == 2 and len(kinds(w, "order_moving")) == 1
    w.panel.pin(busy, "Completed")
    cycles(w, 1)  # the stalled order finished: its episode ends with one order_moving
    moving = kinds(w, "order_moving")
    assert [m["data"]["orders"][0]["order_id"] for m in moving] == [stuck, busy]
    assert moving[1]["data"]["orders"][0]["status"] == "Completed"
    assert w.cli("orders", "--stalled").stderr == "no stalled orders\n"


def test_each_open_order_gets_an_eta_and_one_far_past_it_counts_as_stalled(world):
    w = world()
    w.sync_services()
    # Three orders of the service complete in about 4 minutes of panel time.
    done = [w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(3)]
    w.poll()
    w.clock.advance(H)
    for order_id in done:
        w.panel.pin(order_id, "Completed")
    w.poll()  # each took 1 h from first seen to Completed: the service's median
    late = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    assert run(w)
    (row,) = [r for r in json.loads(w.cli("orders", "--json").stdout) if r["order_id"] == late]
    assert row["eta_basis"] == "median"
    assert parse_iso(row["eta"]) - parse_iso(row["created_at"]) == timedelta(hours=1)
    assert json.loads(w.cli("history", str(late), "--json").stdout)["order"]["eta"] == row["eta"]
    assert f"expected by {row['eta']}" in w.cli("history", str(late)).stdout
    cycles(w, 1.5)
    assert kinds(w, "order_stalled") == []
    cycles(w, 1)  # 2 h (eta_overdue 2 x the 1 h median), far below the 12 h Pending threshold
    (alert,) = kinds(w, "order_stalled")
    assert alert["data"]["orders"][0]["order_id"] == late
    assert "far past its expected completion" in alert["message"]


# --- re-orders ----------------------------------------------------------------------

REORDER = """
reorder = true
reorder_services = [1]
daily_cap = {cap}
"""


def test_each_partial_gets_one_reorder_of_its_remainder_until_the_cap(world):
    remains = partial_remains(3)
    costs = [Decimal("0.90") * max(r, 100) / 1000 for r in remains]
    cap = sum(costs[:2])  # room for two of the three
    w = world(automation=REORDER.format(cap=cap))
    w.sync_services()
    parents = [w.ended(SERVICE_FOLLOWERS) for _ in range(3)]
    other = w.order(SERVICE_LIKES, "Partial")  # not in reorder_services
    w.order(SERVICE_FOLLOWERS, "Completed")
    w.poll()
    assert [w.panel.order(p).remains for p in parents] == remains
    assert run(w)

    placed = actions(w, "reorder")
    assert [a["order_id"] for a in placed] == parents[:2]
    assert [a["status"] for a in placed] == ["Placed", "Placed"]
    assert w.panel.calls["add"] == 2
    for action, left in zip(placed, remains, strict=False):
        child = w.store.order("sim", action["new_order_id"])
        assert child["parent_order_id"] == action["order_id"]
        assert child["quantity"] == max(left, 100) == action["quantity"]
        assert child["link"] == World.link(action["order_id"]) and child["service"] == 1
        assert w.panel.order(action["new_order_id"]).quantity == max(left, 100)
    (capped,) = kinds(w, "automation_capped")
    assert [o["order_id"] for o in capped["data"]["orders"]] == [parents[2]]
    assert capped["message"].endswith(f"spent today): 1 re-order not placed: #{parents[2]}")
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped[parents[2]] == "the daily cap would be passed"
    assert "not in automation.reorder_services" in skipped[other]

    cycles(w, 3)  # the children are tracked and polled; nothing is re-ordered twice
    assert w.panel.calls["add"] == 2 and len(kinds(w, "automation_capped")) == 1
    assert all(w.store.order("sim", a["new_order_id"])["status"] for a in placed)

    w.clock.advance(DAY)  # a new UTC day: the third fits under the cap
    w.poll()
    assert run(w)  # but no services list for a day (its call failing): its price is unknown
    assert w.panel.calls["add"] == 2
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped[parents[2]] == STALE_SERVICE
    assert w.sync_services()  # as the daemon does every services_every
    assert run(w)
    placed = actions(w, "reorder")
    assert [a["order_id"] for a in placed] == parents
    assert w.panel.calls["add"] == 3
    assert run(w) and w.panel.calls["add"] == 3

    shown = json.loads(w.cli("automation", "--json").stdout)
    assert {a["order_id"] for a in shown["actions"]} == set(parents)
    text = w.cli("automation").stdout
    assert "re-order Partial on" in text and "Placed" in text


def test_piped_automation_gives_each_actions_why_whole(world):
    # Piped, WHY was cut at 60 characters: "Partial: 75 of 150 undelivered, raised
    # to the service's min…", how many were ordered lost.
    w = world(automation=REORDER.format(cap=10))
    w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS, quantity=150)
    w.poll()
    assert run(w)
    (placed,) = actions(w, "reorder")
    assert placed["order_id"] == parent and placed["quantity"] == 100
    why = placed["reason"]
    assert len(why) > 60 and why.endswith("raised to the service's min of 100")
    lines = w.cli("automation").stdout.splitlines()
    head = next(line for line in lines if line.startswith("AT "))
    row = next(line for line in lines if f"  {parent}  " in line)
    assert head.endswith("WHY") and row.endswith(f"  {why}")  # the columns as ever, WHY last


WORDY = "Not enough funds on balance " + "x" * 92


class WordyRefusalPanel(SimulatedPanel):
    """Refuses every add in 120 characters of its own."""

    def _add(self, form, now):
        raise SimRefusal(WORDY)


def test_piped_automation_still_cuts_the_panels_words_in_why(world):
    # Its reasons whole (ours), but a panel's error stays cut at 60 characters.
    w = world(automation=REORDER.format(cap=10), panel_class=WordyRefusalPanel)
    w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    run(w)
    (refused,) = actions(w, "reorder")
    assert refused["error"].startswith("Not enough funds") and len(refused["error"]) > 60
    row = next(line for line in w.cli("automation").stdout.splitlines() if f"  {parent}  " in line)
    assert row.endswith(f"  {WORDY[:59]}…")


def test_a_crash_between_sending_and_recording_a_reorder_counts_as_sent(world, monkeypatch):
    w = world(automation=REORDER.format(cap=100))
    w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()

    def killed(*args, **kwargs):
        raise SystemExit("killed between the panel's answer and the database")

    monkeypatch.setattr(automation_sql, "record_placed", killed)
    with pytest.raises(SystemExit):
        run(w)
    monkeypatch.undo()
    assert w.panel.calls["add"] == 1
    (row,) = actions(w, "reorder")
    assert row["status"] == "Sending"

    w.clock.advance(STEP)
    assert run(w)
    (row,) = actions(w, "reorder")
    assert row["status"] == "Unknown" and "interrupted" in row["error"]
    assert row["order_id"] == parent
    cycles(w, 1)
    assert w.panel.calls["add"] == 1  # never placed again


def test_a_lost_answer_to_a_reorder_is_never_resent(world):
    w = world(automation=REORDER.format(cap=100))
    w.sync_services()
    parent = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    w.panel.inject("lost", count=1, action="add")
    assert not run(w)  # the round reports the failure
    (row,) = actions(w, "reorder")
    assert row["status"] == "Unknown" and row["new_order_id"] is None
    (alert,) = w.store.rows("SELECT message FROM alerts WHERE kind = 'automation_reordered'")
    # What came back in place of an answer, once (not "outcome unknown" twice).
    assert alert["message"].startswith(
        "sim: automatic re-order of 1 order: "
        f"#{parent} outcome unknown - check the panel: 'connection to 127.0.0.1:"
    )
    assert alert["message"].count("outcome unknown") == 1
    cycles(w, 1)
    assert w.panel.calls["add"] == 1


# --- stale Pending -------------------------------------------------------------------

CANCEL = """
cancel_pending = true
cancel_pending_after = "24h"
"""


def test_stale_pending_orders_are_cancelled_once(world):
    w = world(automation=CANCEL)
    w.sync_services()
    stale = [w.order(SERVICE_FOLLOWERS, "Pending") for _ in range(2)]
    no_cancel = w.order(SERVICE_TIKTOK, "Pending")
    w.poll()
    cycles(w, 23)
    assert w.panel.calls["cancel"] == 0
    cycles(w, 1.5)
    assert w.panel.calls["cancel"] == 1  # one multi call for both
    assert [w.store.order("sim", o)["status"] for o in stale] == ["Canceled", "Canceled"]
    done = actions(w, "cancel")
    assert [(a["order_id"], a["status"]) for a in done] == [(o, "Requested") for o in stale]
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {no_cancel: "its service cannot be canceled"}
    # Kept beside the `cancel` command's requests too.
    assert [(r["order_id"], r["result"]) for r in w.store.rows("SELECT * FROM cancels")] == [
        (o, "Accepted") for o in stale
    ]
    (alert,) = kinds(w, "automation_canceled")
    assert [o["order_id"] for o in alert["data"]["orders"]] == stale
    cycles(w, 2)
    assert w.panel.calls["cancel"] == 1


class BusyOnceCancelPanel(SimulatedPanel):
    """Answers the first cancel call "Too many requests", then cancels as usual."""

    busy = 1

    def _cancel(self, form, now):
        if self.busy:
            self.busy -= 1
            raise SimRefusal("Too many requests")
        return super()._cancel(form, now)


def test_a_busy_answer_to_a_cancel_leaves_the_order_for_the_next_round(world):
    # Cancel is sent once (never retried at once), but "Too many requests" is
    # no refusal of the order: the next round asks again, and it is canceled.
    w = world(automation=CANCEL, panel_class=BusyOnceCancelPanel)
    w.sync_services()
    stale = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    assert not run(w)
    assert w.panel.calls["cancel"] == 1 and actions(w, "cancel") == []
    cycles(w, 0.5)
    assert w.panel.calls["cancel"] == 2
    assert [(a["order_id"], a["status"]) for a in actions(w, "cancel")] == [(stale, "Requested")]
    assert w.store.order("sim", stale)["status"] == "Canceled"


class FlakyOnceCancelPanel(SimulatedPanel):
    """Refuses the first cancel call in its generic words ("Incorrect request",
    what it answers an action that does not exist), then cancels as usual."""

    flaky = 1

    def _cancel(self, form, now):
        if self.flaky:
            self.flaky -= 1
            raise SimRefusal("Incorrect request")
        return super()._cancel(form, now)


def test_one_generic_refusal_of_a_cancel_learns_nothing_and_the_order_is_asked_again(world):
    # Before: that one refusal learned the panel without cancel, an alert
    # said so and no cancel was ever sent again; the order stayed Pending.
    w = world(automation=CANCEL, panel_class=FlakyOnceCancelPanel)
    w.sync_services()
    stale = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    assert not run(w)  # that call's failure
    assert w.panel.calls["cancel"] == 1 and actions(w, "cancel") == []
    assert kinds(w, "action_unsupported") == []
    assert w.store.rows("SELECT action FROM panel_capabilities") == []
    cycles(w, 0.5)  # asked again next round: canceled
    assert w.panel.calls["cancel"] == 2
    assert [(a["order_id"], a["status"]) for a in actions(w, "cancel")] == [(stale, "Requested")]
    assert w.store.order("sim", stale)["status"] == "Canceled"
    assert w.store.rows("SELECT kind FROM alert_state WHERE kind GLOB 'cancel_refused*'") == []


# --- dry run ----------------------------------------------------------------------


def test_dry_run_sends_nothing_and_records_everything(world):
    w = world(automation="dry_run = true\nreorder = true\ndaily_cap = 50\n" + CANCEL)
    w.sync_services()
    partial = w.ended(SERVICE_FOLLOWERS)
    pending = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    assert w.sync_services()  # as the daemon does every services_every
    assert run(w) and run(w)
    assert w.panel.calls["add"] == 0 and w.panel.calls["cancel"] == 0
    rows = automation_sql.actions(w.store)
    assert sorted((r["action"], r["order_id"], r["status"], r["dry_run"]) for r in rows) == [
        ("cancel", pending, "Dry run", 1),
        ("reorder", partial, "Dry run", 1),
    ]
    (reorder,) = [r for r in rows if r["action"] == "reorder"]
    assert reorder["quantity"] == w.panel.order(partial).remains
    assert w.store.order("sim", pending)["status"] == "Pending"
    text = w.cli("automation").stdout
    assert "DRY RUN" in text and "Dry run" in text
    said = {a["kind"]: a["message"] for a in alerts_since(w.store, None)}
    assert said["automation_reordered"] == f"sim: dry run: would re-order 1 order: #{partial}"
    assert said["automation_canceled"] == f"sim: dry run: would cancel 1 order: #{pending}"


def test_a_panel_without_cancel_is_learned_once_and_sent_no_more(world):
    from tracker.sim.scripts import ScriptQuirks

    w = world(automation=CANCEL, script=ScriptQuirks(missing_actions=("cancel",)))
    w.sync_services()
    w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    w.clock.advance(25 * H)
    w.poll()
    assert not run(w)  # the cancel call, refused as an unknown action would be: once
    assert w.panel.calls["cancel"] == 1 and kinds(w, "action_unsupported") == []
    assert not run(w)  # asked again next round, refused so again: learned
    assert w.panel.calls["cancel"] == 2 and len(kinds(w, "action_unsupported")) == 1
    w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    cycles(w, 26)  # another order goes stale: no request, no new alert
    assert w.panel.calls["cancel"] == 2 and len(kinds(w, "action_unsupported")) == 1
    assert w.store.rows("SELECT action, supported FROM panel_capabilities") == [
        {"action": "cancel", "supported": 0}
    ]


def test_several_orders_stalling_at_once_say_how_long_and_where_to_look():
    # "sim: 2 orders stalled: #1, #2" said neither for how long nor why.
    from tracker.jobs.stalls import _stalled_alert

    orders = [
        {"order_id": 1, "unchanged_seconds": 7 * H, "reason": "In progress and unchanged"},
        {"order_id": 2, "unchanged_seconds": 13 * H, "reason": "Pending for longer than 12h"},
    ]
    alert = _stalled_alert("sim", orders)
    assert alert.message == (
        "sim: 2 orders stalled: #1, #2 (the longest unchanged 13h; "
        "`smm-tracker orders --stalled` lists each with why)"
    )


def test_history_says_the_automations_cancel_and_the_panels_answer_in_one_line(world):
    # ux181: two lines said one cancel, "the automation asked the panel to
    # cancel it: Requested" and "cancel requested ...: the panel accepted it".
    w = world(automation=CANCEL)
    w.sync_services()
    stale = w.order(SERVICE_FOLLOWERS, "Pending")
    w.poll()
    cycles(w, 24.5)
    shown = w.cli("history", str(stale))
    assert shown.exit_code == 0, shown.output
    (cancel,) = w.store.rows("SELECT requested_at FROM cancels")
    (action,) = actions(w, "cancel")
    said = [line for line in shown.stdout.splitlines() if "cancel" in line]
    assert said == [
        f"cancel requested {cancel['requested_at']} by the automation ({action['reason']}):"
        " the panel accepted it"
    ], shown.stdout
    assert action["reason"].startswith("Pending since ")
    # history --json keeps both facts where they were: the request in cancels.
    listed = json.loads(w.cli("history", str(stale), "--json").stdout)
    assert listed["cancels"] == [
        {"requested_at": cancel["requested_at"], "result": "Accepted", "error": None}
    ]

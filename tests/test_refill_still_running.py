"""A refusal saying the order's earlier refill still runs ("The refill task is
not completed for this order"): that refill is read as In progress, and the
order is not asked for again while the panel works on it. Against the
simulated panel."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from refill_world import DAY, H, WordyRefillStatusPanel, World

from tracker.panel.refill_words import says_refill_running
from tracker.rules.alerts import refill_alerts
from tracker.rules.running_refills import kept_running
from tracker.sim.orders import SimRefusal
from tracker.sim.server import SimulatedPanel


class SlowWordyPanel(WordyRefillStatusPanel):
    """Its refills run for ever (the sim refuses a second one while the first
    runs), and ``refill_status`` answers ``word`` for each while it is set."""

    word: str | None = None

    def _refill_one(self, token: str, now: float) -> int:
        return self._refills.request(self._single(token, now), now, 100 * DAY)


def _alerts(w: World, kind: str) -> list[dict]:
    return w.store.rows("SELECT * FROM alerts WHERE kind = ? ORDER BY id", [kind])


def test_a_refill_the_panel_says_still_runs_holds_its_order_without_new_requests(world):
    # "Working" is no word the tracker knows: once refill.cooldown had passed
    # since the request, every cooldown sent a new request the panel refused
    # ("The refill task is not completed for this order"), for as long as it worked.
    w = world(panel_class=SlowWordyPanel)
    (order,) = w.dropped()
    assert w.round()
    w.panel.word = "Working"
    w.clock.advance(H)
    assert w.round()
    assert [r["status"] for r in w.requests(order)] == ["Working"]
    w.clock.advance(DAY)
    assert w.round()  # past the cooldown: asked, and the panel says it still works
    first, second = w.requests(order)
    assert (first["status"], first["raw_status"]) == ("In progress", "Working")
    assert second["status"] == "Refused"
    assert second["error"] == "The refill task is not completed for this order"
    assert w.panel.calls["refill"] == 2
    w.clock.advance(DAY)
    assert w.round()  # the panel still works on it: not asked again within the hold
    assert w.panel.calls["refill"] == 2
    assert [r["status"] for r in w.requests(order)] == ["In progress", "Refused"]
    for _ in range(4):  # then asked once per hold (2 cooldowns), each refused so
        w.clock.advance(DAY)
        assert w.round()
    assert w.panel.calls["refill"] == 4  # every day before: 6
    assert [r["status"] for r in w.requests(order)] == ["In progress", *["Refused"] * 3]
    assert len(_alerts(w, "refill_unknown_status")) == 1
    assert _alerts(w, "refill_rejected") == []
    w.panel.word = "Completed"  # done: its order is asked for again
    w.clock.advance(DAY)
    assert w.round()
    assert w.panel.calls["refill"] == 5
    # Refused so again, with no refill followed to read as running: as ever.
    assert [r["status"] for r in w.requests(order)][0] == "Completed"


def _working_past_the_cooldown(w: World, count: int = 1) -> list[int]:
    """Orders whose refills the panel calls "Working", requested a day ago."""
    orders = w.dropped(count)
    assert w.round()
    w.panel.word = "Working"
    w.clock.advance(H)
    assert w.round()
    w.clock.advance(DAY)
    return orders


def test_the_refill_command_says_the_earlier_refill_still_runs(world):
    w = world(panel_class=SlowWordyPanel)
    (order,) = _working_past_the_cooldown(w)
    (request,) = w.requests(order)
    result = w.cli("refill", str(order))
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        f"the panel refused the refill: The refill task is not completed for this order "
        f"(refill {request['refill_id']} still runs: followed as In progress)"
    )
    assert [r["status"] for r in w.requests(order)] == ["In progress", "Refused"]
    result = w.cli("refill", str(order))  # held like any running refill
    assert result.exit_code == 1 and "a refill of it is still open" in result.output
    assert w.panel.calls["refill"] == 2


class NotEligiblePanel(SlowWordyPanel):
    """Refuses every refill request after the first with ``refusal``."""

    refusal = "Order not eligible for refill."

    def _refill_one(self, token: str, now: float) -> int:
        if self.calls["refill"] > 1:
            raise SimRefusal(self.refusal)
        return super()._refill_one(token, now)


@pytest.mark.parametrize(
    "refusal",
    ["Order not eligible for refill.", "Refill already requested", "Refill not available"],
)
def test_other_refusals_leave_a_refill_in_unknown_words_as_it_was(world, refusal):
    w = world(panel_class=NotEligiblePanel)
    w.panel.refusal = refusal
    (order,) = _working_past_the_cooldown(w)
    assert w.round()
    assert [(r["status"], r["error"]) for r in w.requests(order)] == [
        ("Working", None),
        ("Refused", refusal),
    ]


def test_a_refill_read_as_running_takes_the_panels_next_other_words():
    row = {"status": "In progress", "raw_status": "Working", "error": None}
    same = {"status": "Working", "raw_status": "Working", "error": None, "error_count": 0}
    assert kept_running(row, same)["status"] == "In progress"
    shouted = {**same, "status": "WORKING", "raw_status": "WORKING"}
    assert kept_running(row, shouted)["status"] == "In progress"
    for words, status in (("Done", "Completed"), ("On hold", "On hold")):
        other = {**same, "status": status, "raw_status": words}
        assert kept_running(row, other) == other
    assert kept_running(row, {"error": "Too many requests"}) == {"error": "Too many requests"}
    # A refill In progress in the panel's own words ("Processing") is as ever.
    known = {"status": "In progress", "raw_status": "Processing"}
    assert kept_running(known, same) == same


@pytest.mark.parametrize(
    "words",
    [
        "The refill task is not completed for this order",
        "A refill is already in progress for this order",
        "There is already an active refill for this order",
        "You already have a pending refill request for this order",
        "Previous refill has not been completed yet",
        "Refill request for this order is pending",
        "Refill is still running",
        "Please wait until the previous refill is completed",
    ],
)
def test_words_saying_the_earlier_refill_still_runs(words):
    assert says_refill_running(words)


@pytest.mark.parametrize(
    "words",
    [
        "Refill not available",
        "Refill period expired",
        "Order not eligible for refill.",
        "You are not eligible to send refill request.",
        "Refill is disabled for this service",
        "Order is not completed",
        "Refill not available: order is not completed",
        "Cannot request refill while order is in progress",
        "Refill not active for this service",
        "There is no pending refill",
        "Refill already requested, try again in 24 hours",
        "Refill request limit reached for this order",
        "Too many requests",
        # The cooldown or the refill's terms, or a condition on the order: no
        # refill under way (read so, a finished refill was held for ever).
        "Refill cooldown still active",
        "Refill cooldown is active, try later",
        "Refill time not over",
        "Refill period not over yet",
        "Refill timer running, try later",
        "Please wait for the refill cooldown to end",
        "Wait until refill time",
        "Refill guarantee still active but no drop detected",
        "Cannot refill while processing",
        "Refill unavailable during processing",
        "Refill unavailable: a cancel task is pending",
        "Task pending: order in progress",
    ],
)
def test_words_refusing_the_refill_itself(words):
    assert not says_refill_running(words)


def test_a_refusal_saying_a_refill_still_runs_alerts_nobody():
    change = {
        "panel": "sim",
        "order_id": 1,
        "refill_id": None,
        "from_status": "Requesting",
        "to_status": "Refused",
        "error": "The refill task is not completed for this order",
        "source": "manual",
    }
    assert refill_alerts([change]) == []  # detect = "command", or a manual request
    refused = {**change, "error": "Order not eligible for refill."}
    assert [a.kind for a in refill_alerts([refused])] == ["refill_rejected"]


def test_a_multi_answer_saying_so_of_each_order_holds_each(world):
    w = world(panel_class=SlowWordyPanel)
    orders = _working_past_the_cooldown(w, 2)
    assert w.round()
    assert w.panel.calls["refill:multi"] == 2
    for order in orders:
        assert [r["status"] for r in w.requests(order)] == ["In progress", "Refused"]


class WholeCallRunningPanel(SlowWordyPanel):
    """Refuses a second multi ``refill`` call as a whole with "still running" words."""

    def _refill(self, form: Mapping[str, str], now: float):
        if "orders" in form and self.calls["refill"] > 1:
            raise SimRefusal("The refill task is not completed for this order")
        return super()._refill(form, now)


def test_a_whole_multi_call_refused_so_asks_each_order_alone(world):
    # Which of the orders it meant cannot be told from the whole call's words
    # (it was stored as every order's refusal, holding none): each order is
    # asked alone, and each one's own answer says its refill still runs.
    w = world(panel_class=WholeCallRunningPanel)
    orders = _working_past_the_cooldown(w, 2)
    assert w.round()
    assert w.panel.calls["refill:multi"] == 2
    for order in orders:
        assert [r["status"] for r in w.requests(order)] == ["In progress", "Refused"]


class EndedInOwnWords(SimulatedPanel):
    """Its refills end at once in words the tracker does not know ("No drop
    found"); the second request is refused with ``refusal``, later ones taken."""

    refusal = "Refill cooldown still active"

    def _refill_one(self, token: str, now: float) -> int:
        if self.calls["refill"] == 2:
            raise SimRefusal(self.refusal)
        return super()._refill_one(token, now)

    def _refill_status(self, form: Mapping[str, str], now: float):
        answer = super()._refill_status(form, now)
        if "refills" in form:
            return [{"refill": item["refill"], "status": "No drop found"} for item in answer]
        return {"status": "No drop found"}


def test_a_cooldown_refusal_holds_no_finished_refill(world):
    # Read as "still running", the cooldown's words set the finished refill In
    # progress, kept so while the panel repeated "No drop found": for ever.
    w = world(panel_class=EndedInOwnWords)
    (order,) = w.dropped()
    assert w.round()
    w.clock.advance(H)
    assert w.round()
    w.clock.advance(DAY)
    assert w.round()  # refused in the cooldown's words
    assert [(r["status"], r["error"]) for r in w.requests(order)] == [
        ("No drop found", None),
        ("Refused", "Refill cooldown still active"),
    ]
    for _ in range(3):
        w.clock.advance(DAY)
        assert w.round()
    assert w.panel.calls["refill"] > 2  # asked again: the panel decides


def test_a_finished_refill_read_as_running_is_held_one_hold_at_most(world):
    # The refusal may be about another refill (one asked on the panel's site)
    # while this one ended in words the tracker does not know: held while the
    # panel repeated "No drop found", the order was never asked again.
    w = world(panel_class=EndedInOwnWords)
    w.panel.refusal = "The refill task is not completed for this order"
    (order,) = w.dropped()
    assert w.round()
    w.clock.advance(H)
    assert w.round()
    w.clock.advance(DAY)
    assert w.round()  # refused: read as the earlier refill still running
    assert [r["status"] for r in w.requests(order)] == ["In progress", "Refused"]
    for _ in range(3):  # a hold is 2 cooldowns: then the panel decides again
        w.clock.advance(DAY)
        assert w.round()
    assert w.panel.calls["refill"] >= 3, "the order was never asked again"
    assert w.requests(order)[2]["refill_id"] is not None  # and the panel took it


def test_only_the_newest_refill_in_unknown_words_is_read_as_running():
    from tracker.rules.running_refills import running_now

    history = [
        {"id": 1, "refill_id": "7", "status": "Unknown status"},
        {"id": 4, "refill_id": "9", "status": "Unknown status"},
        {"id": 5, "refill_id": None, "status": "Refused"},
    ]
    assert running_now(history) == {4: {"status": "In progress"}}

"""The refill and services jobs and their commands, against the simulated panel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from refill_world import DAY, KEY, H, World
from structlog.testing import capture_logs

from tracker.errors import JobHeld, JobPaused
from tracker.sim.orders import SimRefusal
from tracker.sim.server import (
    SERVICE_COMMENTS,
    SERVICE_FOLLOWERS,
    SERVICE_LIKES,
    SERVICE_TIKTOK,
    SERVICE_VIEWS,
    SimulatedPanel,
)
from tracker.store.refills import begin_requests, services


class SingleIdPanel(SimulatedPanel):
    """A clone that reads only ``order`` and ``refill``: multi-ID calls find nothing."""

    def _refill(self, form: Mapping[str, str], now: float):
        if "orders" in form:
            raise SimRefusal("Incorrect request")
        return super()._refill(form, now)

    def _refill_status(self, form: Mapping[str, str], now: float):
        if "refills" in form:
            raise SimRefusal("Incorrect request")
        return super()._refill_status(form, now)


def completed_a_day_ago(w: World, *services_: int, **options) -> list[int]:
    ids = [w.order(service, **options) for service in services_]
    w.poll()
    w.clock.advance(DAY)
    return ids


def test_services_are_stored_with_normalised_flags_and_listed(world):
    w = world()
    assert w.sync_services()
    flags = {s["service"]: (s["refill"], s["cancel"]) for s in services(w.store, "sim")}
    # The catalogue spells them true, "0", 1, "1" and leaves them out.
    assert flags[SERVICE_FOLLOWERS] == (1, 1)
    assert flags[SERVICE_LIKES] == (0, 0)
    assert flags[SERVICE_VIEWS] == (1, 1)
    assert flags[SERVICE_TIKTOK] == (1, 0)
    assert flags[SERVICE_COMMENTS] == (0, 0)
    shown = json.loads(w.cli("services", "--json").stdout)
    assert {s["service"]: s["refill"] for s in shown}[SERVICE_LIKES] is False
    text = w.cli("services").stdout.splitlines()
    assert text[0].split() == [
        "PANEL",
        "SERVICE",
        "NAME",
        "TYPE",
        "REFILL",
        "CANCEL",
        "RATE",
        "MIN",
        "MAX",
        "SYNCED",
        "CUR",  # added after the others: what scripts read before stays where it was
        "GUARANTEE",
    ]
    likes = next(line for line in text if "Instagram Likes" in line)
    assert likes.split()[1] == str(SERVICE_LIKES) and " no " in likes


def test_a_panel_without_multi_id_calls_is_asked_one_order_at_a_time(world):
    w = world(panel_class=SingleIdPanel)
    w.sync_services()
    ids = completed_a_day_ago(w, SERVICE_FOLLOWERS, SERVICE_FOLLOWERS, SERVICE_TIKTOK)
    assert w.round()
    assert w.panel.calls["refill:multi"] == 1 and w.panel.calls["refill:single"] == 3
    for order_id in ids:
        assert [r["status"] for r in w.requests(order_id)] == ["Pending"]
    w.clock.advance(H)
    assert w.round()
    assert w.panel.calls["refill_status:multi"] == 1
    assert w.panel.calls["refill_status:single"] == 3
    for order_id in ids:  # nothing dropped: the panel rejects each
        assert [r["status"] for r in w.requests(order_id)] == ["Rejected"]
    w.clock.advance(DAY)
    assert w.round()
    w.clock.advance(H)
    assert w.round()
    # Refill's fallback is learned at the second multi call refused so (one
    # may be a flaky panel's); refill_status's is kept by the process.
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 6
    assert w.panel.calls["refill_status:multi"] == 1
    for order_id in ids:
        w.panel.drop(order_id, 30)
    w.clock.advance(DAY)
    assert w.round()
    # The fallback is remembered: no third multi attempt.
    assert w.panel.calls["refill:multi"] == 2 and w.panel.calls["refill:single"] == 9


def test_a_permanent_refusal_is_never_asked_again(world):
    # Service unknown to the tracker (not given when tracked) and "try": the
    # panel answers that the service has no refill.
    w = world(refill='unknown_service = "try"')
    w.sync_services()
    (order_id,) = completed_a_day_ago(w, SERVICE_LIKES, tell_service=False)
    assert w.round()
    (row,) = w.requests(order_id)
    assert (row["status"], row["error"], row["permanent"]) == (
        "Refused",
        "Refill is disabled for this service",
        1,
    )
    for _ in range(3):
        w.clock.advance(DAY)
        assert w.round()
    assert len(w.requests(order_id)) == 1 and w.panel.calls["refill"] == 1
    assert "(for good)" in w.cli("refills").stdout


def test_a_refill_refused_for_good_says_what_the_user_can_do(world):
    # It said "(for good: not asked for again until the panel takes a request
    # of it (refill --force))": what skips it, and what asks again, unsaid.
    w = world()
    w.sync_services()
    (order_id,) = completed_a_day_ago(w, SERVICE_LIKES)
    result = w.cli("refill", str(order_id))
    assert result.exit_code == 1
    said = (
        "Refill is disabled for this service (for good: the automatic refills skip this "
        "order until the panel accepts a refill of it, asked with refill --force)"
    )
    assert said in result.stderr


def test_unknown_services_are_skipped_by_default(world):
    w = world()
    w.sync_services()
    completed_a_day_ago(w, SERVICE_FOLLOWERS, tell_service=False)
    assert w.round()
    assert w.panel.calls["refill"] == 0


def test_a_not_eligible_answer_is_recorded_and_asked_again_after_the_cooldown(world):
    # The panel's own cooldown (a week) is longer than the tracker's (a day).
    w = world(refill_cooldown=7 * DAY)
    w.sync_services()
    (order_id,) = completed_a_day_ago(w, SERVICE_FOLLOWERS)
    assert w.round()
    w.clock.advance(H)
    assert w.round()  # follow-up: Rejected (nothing dropped)
    w.clock.advance(DAY)
    assert w.round()
    refusal = w.requests(order_id)[-1]
    assert refusal["status"] == "Refused" and "not eligible" in refusal["error"]
    assert refusal["permanent"] == 0
    w.clock.advance(DAY - 1)
    assert w.round()
    assert len(w.requests(order_id)) == 2  # inside the cooldown: not asked
    w.clock.advance(1)
    assert w.round()
    assert len(w.requests(order_id)) == 3  # still eligible: asked again


def test_a_request_interrupted_before_its_answer_counts_as_sent(world):
    w = world()
    w.sync_services()
    (order_id,) = completed_a_day_ago(w, SERVICE_FOLLOWERS)
    # A run wrote its request row, then the process died before the answer.
    begin_requests(w.store, "sim", [order_id], w.clock())
    w.clock.advance(H)
    assert w.round()
    (row,) = w.requests(order_id)
    assert row["status"] == "Unknown" and "interrupted" in row["error"]
    assert w.panel.calls["refill"] == 0
    w.clock.advance(DAY - H)
    assert w.round()
    assert w.panel.calls["refill"] == 1 and len(w.requests(order_id)) == 2


def test_a_request_that_never_reached_the_panel_leaves_no_trace(world):
    w = world()
    w.sync_services()
    (order_id,) = completed_a_day_ago(w, SERVICE_FOLLOWERS)
    w.panel.inject("429", count=1, action="refill")  # answered by the proxy, retries = 0
    assert not w.round()
    assert w.requests(order_id) == []
    w.clock.advance(0.5 * H)
    assert w.round() and [r["status"] for r in w.requests(order_id)] == ["Pending"]


def test_refill_disabled_keeps_the_services_sync_only(world):
    w = world(refill="enabled = false")
    assert "services:sim" in w.jobs and "refill:sim" not in w.jobs
    assert "refill:sim" in world().jobs


def test_manual_refill_is_recorded_and_guarded_by_the_cooldown(world):
    w = world()
    w.sync_services()
    order_id = w.panel.seed_orders(1, status="Completed", service=SERVICE_FOLLOWERS)[0]

    untracked = w.cli("refill", str(order_id))
    assert untracked.exit_code == 1
    assert f"order {order_id} is not tracked; run: smm-tracker track {order_id}" in (
        untracked.output
    )
    w.store.track("sim", [order_id], w.clock())
    w.panel.drop(order_id, 30)

    first = w.cli("refill", str(order_id))
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("refill 12345 requested for order")
    again = w.cli("refill", str(order_id))
    assert again.exit_code == 1 and "still open" in again.output and "--force" in again.output
    forced = w.cli("refill", str(order_id), "--force")
    assert forced.exit_code == 1
    assert "the panel refused the refill: The refill task is not completed" in forced.output
    rows = w.requests(order_id)
    assert [(r["status"], r["source"]) for r in rows] == [
        ("Pending", "manual"),
        ("Refused", "manual"),
    ]
    bad = w.cli("refill", "12x")
    assert bad.exit_code == 2 and "not an order ID" in bad.output
    assert "Traceback" not in untracked.output + again.output + forced.output + bad.output


def test_the_key_is_in_no_refill_row_or_output(world):
    w = world()
    w.sync_services()
    completed_a_day_ago(w, SERVICE_FOLLOWERS, SERVICE_LIKES)
    w.panel.inject("lost", count=1, action="refill")
    w.round()
    w.clock.advance(DAY)
    w.round()
    out = w.cli("refills", "--json").output + w.cli("services").output
    assert KEY not in out
    w.tracker.store.close()
    for path in Path(w.path.parent).glob("t.db*"):
        assert KEY.encode() not in path.read_bytes()


def test_refills_listing_explains_an_empty_result_and_a_bad_panel(world):
    w = world()
    assert w.cli("refills").stderr.strip() == "no refill requests"
    assert w.cli("refills", "--status", "rejected").stderr.strip() == (
        "no refill requests with status Rejected"
    )
    bad = w.cli("refills", "--panel", "nope")
    assert bad.exit_code == 2 and "no panel named 'nope'" in bad.output


class ForgetfulPanel(SimulatedPanel):
    """A clone that says "Refill not found" for the refill IDs in ``lost``, or
    for every refill while ``forget_all`` is set."""

    lost: set[int] = set()
    forget_all = False

    def _refill_spelled(self, token: str, now: float) -> str | None:
        if self.forget_all or token in {str(i) for i in self.lost}:
            return None
        return super()._refill_spelled(token, now)


def _two_refills(w: World) -> tuple[str, str]:
    """Refill two orders; return (the one Rejected by now, the one still running)."""
    w.sync_services()
    done, running = completed_a_day_ago(w, SERVICE_FOLLOWERS, SERVICE_FOLLOWERS)
    w.panel.drop(running, 30)  # its refill has something to restore: it runs longer
    assert w.round()
    w.clock.advance(90)
    assert w.round()
    closed, open_ = w.requests(done)[-1], w.requests(running)[-1]
    assert closed["status"] == "Rejected" and open_["status"] == "In progress"
    return closed["refill_id"], open_["refill_id"]


def test_a_panel_forgetting_every_refill_does_not_close_them_while_it_answered_one_lately(world):
    # "Refill not found" for every refill, the one it answered an hour ago too:
    # the panel's trouble, not the refills'. Closed as Unknown they would stop
    # blocking their orders and second (not idempotent) refills would be asked.
    w = world(panel_class=ForgetfulPanel)
    _, running = _two_refills(w)
    w.panel.forget_all = True
    for _ in range(5):
        w.clock.advance(H)
        assert w.round()
    row = refill_row(w, running)
    assert row["status"] == "In progress" and row["error_count"] == 0
    assert row["error"] in ("Refill not found", "Incorrect refill ID")
    w.panel.forget_all = False
    w.clock.advance(H)
    assert w.round()
    row = refill_row(w, running)
    assert row["status"] == "Completed" and row["error"] is None


@pytest.mark.usefixtures("fresh_logs")
def test_a_panel_forgetting_every_refill_is_warned_once_until_it_answers_again(world):
    # Soak: a panel restarted without its refills said "Incorrect refill ID"
    # at every round; refill_status_not_trusted was a warning every round
    # (60 a minute at refill_every = 1s), about the same thing each time.
    w = world(panel_class=ForgetfulPanel)
    _two_refills(w)

    def untrusted(rounds: int) -> list[str]:
        with capture_logs() as logs:
            for _ in range(rounds):
                w.clock.advance(1)  # the running refill still runs after them
                assert w.round()
        return [e["log_level"] for e in logs if e["event"] == "refill_status_not_trusted"]

    w.panel.forget_all = True
    assert untrusted(4) == ["warning", "debug", "debug", "debug"]
    w.panel.forget_all = False
    assert untrusted(1) == []  # answered: trusted again
    w.panel.forget_all = True
    assert untrusted(2) == ["warning", "debug"]  # a new spell is told again


def test_a_panel_forgetting_every_refill_for_a_day_has_them_closed(world):
    # Nothing vouches for the panel any more, and refills it really purged
    # must not block their orders for ever: they close as Unknown, as before.
    w = world(panel_class=ForgetfulPanel)
    _, running = _two_refills(w)
    w.panel.forget_all = True
    w.clock.advance(DAY + H)
    for _ in range(3):
        assert w.round()
        w.clock.advance(H)
    assert refill_row(w, running)["status"] == "Unknown"


def test_a_refill_the_panel_lost_alone_is_closed_as_unknown(world):
    w = world(panel_class=ForgetfulPanel)
    _, running = _two_refills(w)
    w.panel.lost = {int(running)}  # it still answers the other one
    for _ in range(3):
        w.clock.advance(H)
        assert w.round()
    row = refill_row(w, running)
    assert row["status"] == "Unknown" and row["error"] in (
        "Refill not found",
        "Incorrect refill ID",
    )


def refill_row(w: World, refill_id: str) -> dict:
    (row,) = w.store.rows("SELECT * FROM refills WHERE refill_id = ?", [refill_id])
    return row


class KeyedRefillStatusPanel(SimulatedPanel):
    """Answers multi ``refill_status`` as an object keyed by refill ID (the shape
    multi ``status`` answers), or ``[]`` while ``empty`` is set."""

    empty = False

    def _refill_status(self, form: Mapping[str, str], now: float):
        answer = super()._refill_status(form, now)
        if "refills" not in form:
            return answer
        if self.empty:
            return []
        return {str(item["refill"]): {"status": item["status"]} for item in answer}


def _two_running(w: World) -> list[int]:
    """Request refills of two dropped orders; return the orders (refills Pending)."""
    w.sync_services()
    orders = completed_a_day_ago(w, SERVICE_FOLLOWERS, SERVICE_FOLLOWERS)
    for order_id in orders:
        w.panel.drop(order_id, 30)
    assert w.round()
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Pending", "Pending"]
    return orders


def test_a_refill_status_answer_keyed_by_refill_id_is_read(world):
    # {"601": {"status": "In progress"}, ...}: read by key, as multi status is.
    # Read as "not in the answer", both refills were closed as Unknown after
    # three runs, and their orders freed for second refills.
    w = world(panel_class=KeyedRefillStatusPanel)
    orders = _two_running(w)
    w.clock.advance(90)
    for _ in range(3):
        assert w.round()
    rows = [w.requests(o)[-1] for o in orders]
    assert [(r["status"], r["error"], r["error_count"]) for r in rows] == [
        ("In progress", None, 0),
        ("In progress", None, 0),
    ]
    w.clock.advance(H)
    assert w.round()
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Completed", "Completed"]
    assert w.panel.calls["refill"] == 1


def test_a_refill_status_answer_naming_no_asked_refill_leaves_them_untouched(world):
    # [] (or {}) names none of the refills asked: a broken answer, the call's
    # failure, not "every refill lost".
    w = world(panel_class=KeyedRefillStatusPanel)
    orders = _two_running(w)
    w.panel.empty = True
    for _ in range(4):
        w.clock.advance(90)
        assert not w.round()  # the follow-up failed: the run says so
    rows = [w.requests(o)[-1] for o in orders]
    assert [(r["status"], r["error"], r["error_count"]) for r in rows] == [
        ("Pending", None, 0),
        ("Pending", None, 0),
    ]
    assert w.panel.calls["refill"] == 1  # no second refill asked
    w.panel.empty = False
    assert w.round()
    assert [w.requests(o)[-1]["status"] for o in orders] == ["Completed", "Completed"]


WHITELIST = "Access denied: IP 10.1.2.3 is not whitelisted"


class WhitelistPanel(SimulatedPanel):
    """Answers every action, balance too, with a key refusal in words no
    pattern knows while ``refusing`` is set."""

    refusing = False

    def _act(self, action: str, form: Mapping[str, str]):
        if self.refusing:
            return self._error(SimRefusal(WHITELIST))
        return super()._act(action, form)


def test_a_key_refused_in_unknown_words_leaves_a_followed_refill_open(world):
    # One open refill is asked with refill=: the refusal was read as that
    # refill's own error and closed it as Unknown after three runs.
    w = world(panel_class=WhitelistPanel)
    w.sync_services()
    (order,) = completed_a_day_ago(w, SERVICE_FOLLOWERS)
    w.panel.drop(order, 30)
    assert w.round()
    w.panel.refusing = True
    w.clock.advance(90)
    with pytest.raises(JobPaused):  # refused: paused, no failure
        w.round()
    for _ in range(3):
        w.clock.advance(90)
        with pytest.raises(JobPaused):  # not run: no failure
            w.round()
    row = w.requests(order)[-1]
    assert (row["status"], row["error"], row["error_count"]) == ("Pending", None, 0)
    # The key refused: the panel paused, as the status job pauses it, until
    # its balance check finds the key accepted again.
    kinds = [r["kind"] for r in w.store.rows("SELECT kind FROM alerts")]
    assert kinds == ["auth_failed"]
    w.panel.refusing = False
    with pytest.raises(JobPaused):  # paused: not run
        w.round()
    assert w.jobs["balance:sim"].run()
    assert w.round()
    assert w.requests(order)[-1]["status"] == "Completed"
    assert len(w.requests(order)) == 1


class MisfilingPanel(SimulatedPanel):
    """A clone whose multi refill_status answers only the first refill asked
    (the others misfiled), while ``refill=ID`` answers each."""

    def _refill_status(self, form: Mapping[str, str], now: float):
        answer = super()._refill_status(form, now)
        return answer[:1] if "refills" in form else answer


def test_refills_a_multi_answer_leaves_out_are_asked_alone_never_closed_as_lost(world):
    w = world(panel_class=MisfilingPanel)
    w.sync_services()
    ids = completed_a_day_ago(w, *[SERVICE_FOLLOWERS] * 6)
    for order_id in ids:
        w.panel.drop(order_id, 30)
    assert w.round()
    for _ in range(3):
        w.clock.advance(H)
        assert w.round()
    rows = [w.requests(order_id)[-1] for order_id in ids]
    assert [r["status"] for r in rows] == ["Completed"] * 6
    assert all(len(w.requests(order_id)) == 1 for order_id in ids)  # no second refill


class KeyRefusingRefillStatusPanel(KeyedRefillStatusPanel):
    """While ``refusing``, answers multi ``refill_status`` with a key refusal
    in every refill's item."""

    refusing = False

    def _refill_status(self, form: Mapping[str, str], now: float):
        answer = super()._refill_status(form, now)
        if self.refusing and isinstance(answer, dict):
            return {key: {"error": "Invalid API key"} for key in answer}
        return answer


def test_a_key_refused_in_every_refill_status_item_is_a_refused_key(world):
    # As a top-level refusal: the follow-up fails, auth_failed is raised and
    # no refill is touched; it was every refill's own error, run after run,
    # with no alert.
    w = world(panel_class=KeyRefusingRefillStatusPanel)
    orders = _two_running(w)
    w.panel.refusing = True
    w.clock.advance(90)
    with pytest.raises(JobPaused):  # refused: paused, no failure
        w.round()
    rows = [w.requests(o)[-1] for o in orders]
    assert [(r["status"], r["error"], r["error_count"]) for r in rows] == [
        ("Pending", None, 0),
        ("Pending", None, 0),
    ]
    kinds = [r["kind"] for r in w.store.rows("SELECT kind FROM alerts")]
    assert "auth_failed" in kinds


def test_an_outage_uses_up_none_of_the_orders_refill_requests(world):
    # Each round sent a call of 100 orders into the failing panel: a gateway
    # page (the panel may have acted) leaves them Unknown, and Unknown counts
    # toward refill.max_requests: a soak's 90 s outage spent every guaranteed
    # order's five requests. The round waits while the panel's calls fail.
    w = world(refill="cooldown = 1")
    ids = completed_a_day_ago(w, SERVICE_FOLLOWERS, SERVICE_FOLLOWERS)
    w.panel.inject("html502", count=10_000)  # every call: a proxy's 502 page
    assert not w.jobs["balance:sim"].run()  # the panel's calls fail
    for _ in range(5):
        with pytest.raises(JobHeld):  # held: no failure
            w.round()
        w.clock.advance(H)
    assert [w.requests(i) for i in ids] == [[], []]
    assert w.panel.calls["refill"] == 0
    w.panel.clear_faults()
    assert w.jobs["balance:sim"].run()  # it answers again
    assert w.round()
    assert [[r["status"] for r in w.requests(i)] for i in ids] == [["Pending"], ["Pending"]]


def test_a_refill_command_sent_while_the_round_decides_is_not_sent_again(world, monkeypatch):
    # The round reads each order's requests, then probes (minutes, with
    # detect = "command") or sends earlier batches; a `refill ID` sent in
    # between was not seen, and the round asked the panel a second time.
    from tracker.jobs.refills import RefillRound

    w = world()
    w.sync_services()
    (order_id,) = completed_a_day_ago(w, SERVICE_FOLLOWERS)
    w.panel.drop(order_id, 30)
    decide = RefillRound.detect

    def detect_beside_the_command(self, orders):
        assert w.cli("refill", str(order_id)).exit_code == 0  # the user, meanwhile
        return decide(self, orders)

    monkeypatch.setattr(RefillRound, "detect", detect_beside_the_command)
    assert w.round()
    assert w.panel.calls["refill"] == 1
    assert [r["source"] for r in w.requests(order_id)] == ["manual"]


def test_a_refill_command_is_not_sent_when_the_round_asked_meanwhile(world, monkeypatch):
    import tracker.cli.refill as command

    w = world()
    w.sync_services()
    (order_id,) = completed_a_day_ago(w, SERVICE_FOLLOWERS)
    checked = command.manual_blocker

    def round_asks_meanwhile(past, cooldown, now):
        begin_requests(w.store, "sim", [order_id], w.clock())  # the daemon, sending
        return checked(past, cooldown, now)

    monkeypatch.setattr(command, "manual_blocker", round_asks_meanwhile)
    result = w.cli("refill", str(order_id))
    assert result.exit_code == 1
    assert "recorded meanwhile" in result.output and "not sent" in result.output
    assert w.panel.calls["refill"] == 0
    assert [r["source"] for r in w.requests(order_id)] == ["auto"]

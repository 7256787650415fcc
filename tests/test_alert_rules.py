"""Reachability, key and order/refill alert decisions: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.rules.alerts import (
    AUTH_FAILED,
    AUTH_RECOVERED,
    ORDER_CANCELED,
    ORDER_PARTIAL,
    PANEL_RECOVERED,
    PANEL_UNREACHABLE,
    REFILL_REJECTED_KIND,
    order_alerts,
    refill_alerts,
    rough_duration,
)
from tracker.rules.episodes import Episode
from tracker.rules.reach_episodes import Reachability, judge_auth, judge_call

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
AFTER = 900.0


def calls(outcomes: list[tuple[float, bool]], state: Reachability | None = None):
    """Feed (minute, ok) call outcomes; return the kinds raised with their minute, and the state."""
    raised, state = [], state or Reachability()
    for minute, ok in outcomes:
        state, kind = judge_call(state, ok, T0 + timedelta(minutes=minute), AFTER)
        if kind:
            raised.append((minute, kind))
    return raised, state


def test_unreachable_only_after_every_call_failed_for_the_whole_delay() -> None:
    raised, state = calls([(0, False), (5, False), (14, False), (15, False), (20, False)])
    assert raised == [(15, PANEL_UNREACHABLE)]
    assert state.episode == Episode(True, T0, T0 + timedelta(minutes=15))


def test_one_answer_inside_the_delay_starts_the_count_again() -> None:
    raised, _ = calls([(0, False), (10, False), (11, True), (12, False), (26, False), (27, False)])
    assert raised == [(27, PANEL_UNREACHABLE)]


def test_recovered_once_at_the_first_answer_then_quiet() -> None:
    raised, state = calls([(0, False), (16, False), (17, False), (30, True), (31, True)])
    assert raised == [(16, PANEL_UNREACHABLE), (30, PANEL_RECOVERED)]
    assert state == Reachability()


def test_an_episode_open_before_a_restart_is_not_raised_again() -> None:
    restarted = Reachability(None, Episode(True, T0 - timedelta(hours=1), T0))
    raised, _ = calls([(0, False), (20, False), (40, False), (41, True)], restarted)
    assert raised == [(41, PANEL_RECOVERED)]


def test_auth_once_per_episode() -> None:
    episode, kinds = Episode(), []
    for refused in (True, True, True, False, False, True):
        episode, kind = judge_auth(episode, refused, T0)
        kinds.append(kind)
    assert kinds == [AUTH_FAILED, None, None, AUTH_RECOVERED, None, AUTH_FAILED]


def transition(order_id: int, to: str, before: str | None = "In progress", panel: str = "main"):
    return {
        "panel": panel,
        "order_id": order_id,
        "at": "2026-11-01T12:00:00+00:00",
        "from_status": before,
        "to_status": to,
        "remains": 250,
        "charge": 0.75,
    }


def test_order_alerts_carry_remains_and_charge() -> None:
    alerts = order_alerts([transition(1, "Canceled"), transition(2, "Completed")])
    assert [(a.kind, a.panel) for a in alerts] == [(ORDER_CANCELED, "main")]
    assert alerts[0].message == "main: order #1 canceled (remains 250, charge 0.75)"
    assert alerts[0].data == {"orders": [{"order_id": 1, "remains": 250, "charge": 0.75}]}


def test_a_canceled_or_partial_order_s_charge_is_said_in_its_currency() -> None:
    # As order_refunded says it ("charge 1.00 -> 0.00 USD"): the charge and
    # the one before it, each in the order's currency when the panel gave one.
    refunded = {**transition(1, "Canceled"), "charge": 0.0, "charge_before": 0.9}
    partial = {**transition(2, "Partial"), "currency": "USD", "charge_before": 0.9}
    unread = {**transition(3, "Canceled", panel="other"), "charge": None, "currency": "RUB"}
    wordy = {**transition(4, "Partial", panel="other"), "currency": " Rubles\n" + "x" * 200}
    messages = [a.message for a in order_alerts([{**refunded, "currency": "USD"}, partial])]
    assert messages == [
        "main: order #1 canceled (remains 250, charge 0.00 USD, was 0.90 USD)",
        "main: order #2 partial (remains 250, charge 0.75 USD, was 0.90 USD)",
    ]
    (alert,) = order_alerts([refunded])  # no currency given: none said, as before
    assert alert.message == "main: order #1 canceled (remains 250, charge 0.00, was 0.90)"
    messages = [a.message for a in order_alerts([unread, wordy])]
    assert messages[0] == "other: order #3 canceled (remains 250, charge ?)"
    assert messages[1] == f"other: order #4 partial (remains 250, charge 0.75 Rubles {'x' * 32}…)"


def test_many_orders_at_once_are_one_alert_per_panel_and_kind() -> None:
    batch = [transition(i, "Partial") for i in range(1, 9)] + [
        transition(20, "Canceled", panel="other"),
        transition(21, "Canceled", before=None, panel="other"),  # first seen already canceled
    ]
    alerts = {(a.panel, a.kind): a for a in order_alerts(batch)}
    assert set(alerts) == {("main", ORDER_PARTIAL), ("other", ORDER_CANCELED)}
    partial = alerts[("main", ORDER_PARTIAL)]
    # The message names where the 3 not shown are (a webhook shows only it).
    assert partial.message == (
        "main: 8 orders partial: #1, #2, #3, #4, #5 and 3 more "
        "(in data.orders: `smm-tracker alerts --json`)"
    )
    assert len(partial.data["orders"]) == 8
    assert len(alerts[("other", ORDER_CANCELED)].data["orders"]) == 2


def refill(to: str, before: str = "Pending", refill_id: str | None = "77", error=None):
    return {
        "panel": "main",
        "refill_id": refill_id,
        "order_id": 5,
        "from_status": before,
        "to_status": to,
        "error": error,
        "at": "2026-11-01T12:00:00+00:00",
    }


def test_refill_rejected_and_refused_but_not_completed_or_running() -> None:
    assert refill_alerts([refill("Completed"), refill("In progress")]) == []
    (one,) = refill_alerts([refill("Rejected", before="In progress")])
    assert (one.kind, one.message) == (REFILL_REJECTED_KIND, "main: refill for order #5 Rejected")
    (refused,) = refill_alerts(
        [refill("Refused", before="Requesting", refill_id=None, error="Refill is disabled")]
    )
    assert refused.message == "main: refill for order #5 Refused: Refill is disabled"
    (two,) = refill_alerts([refill("Rejected"), refill("Canceled")])
    assert two.message == (
        "main: 2 refills rejected or refused: #5, #5 (2 reasons, in data; "
        "`smm-tracker refills` lists each)"
    )
    # One reason for all: said, as for one refill (it named the orders alone).
    same = [refill("Refused", before="Requesting", refill_id=None, error="Refill is disabled")] * 3
    (three,) = refill_alerts(same)
    assert three.message == (
        "main: 3 refills rejected or refused: #5, #5, #5 (Refused: Refill is disabled; "
        "`smm-tracker refills` lists each)"
    )


def test_rough_duration() -> None:
    seconds = (0, 59.6, 60, 61, 92, 599, 630, 3600, 5400, 49 * 3600, 72 * 3600)
    assert [rough_duration(s) for s in seconds] == [
        "0s",
        "1m",
        "1m",
        "1m1s",
        "1m32s",  # "failed for 1m" after 92 s undersold it by half
        "9m59s",
        "10m",
        "1h",
        "1h30m",
        "2d1h",
        "3d",
    ]


def test_the_panels_nothing_dropped_to_its_own_requests_is_quiet_but_not_the_rest():
    def change(order_id, to_status, error=None, **more):
        accepted = to_status not in ("Refused",)
        return {
            "panel": "main",
            "refill_id": "9" if accepted else None,
            "order_id": order_id,
            "from_status": "Pending" if accepted else "Requesting",
            "to_status": to_status,
            "error": error,
            **more,
        }

    nothing_dropped = change(1, "Refused", "Order not eligible for refill.", source="auto")
    rejected = change(2, "Rejected", raw_status="REJECTED", source="auto")
    no_source = change(3, "Rejected")  # as the refills.source column's default: auto
    quiet = [nothing_dropped, rejected, no_source]
    assert refill_alerts(quiet, panel_judges=True) == []

    disabled = change(4, "Refused", "Refill is disabled for this service", source="auto")
    said_disabled = change(
        5, "Rejected", raw_status="Rejected: Refill is disabled for this service", source="auto"
    )
    asked_by_user = change(6, "Rejected", source="manual")
    canceled = change(7, "Canceled", source="auto")
    failed = change(8, "Failed", source="auto")
    probed_dropped = change(9, "Rejected", source="auto")
    loud = [disabled, said_disabled, asked_by_user, canceled, failed, probed_dropped]
    (alert,) = refill_alerts(quiet + loud, panel_judges=True, dropped={("main", 9)})
    assert [r["order_id"] for r in alert.data["refills"]] == [4, 5, 6, 7, 8, 9]
    # The drop seen on another panel's order of the same ID is no evidence.
    assert refill_alerts([probed_dropped], panel_judges=True, dropped={("other", 9)}) == []
    # With the user's probe judging drops (detect = "command"), every one alerts.
    (every,) = refill_alerts(quiet + loud)
    assert len(every.data["refills"]) == 9
    # The panel's words after the status are in the message and the data.
    (words,) = refill_alerts([said_disabled], panel_judges=True)
    assert words.message == (
        "main: refill for order #5 Rejected ('Rejected: Refill is disabled for this service')"
    )
    assert words.data["refills"][0]["raw_status"] == said_disabled["raw_status"]
    (plain,) = refill_alerts([asked_by_user | {"raw_status": "rejected"}])
    assert plain.message == "main: refill for order #6 Rejected"


def test_unreachable_quotes_the_last_error_redacted_then_cut() -> None:
    from tracker.redact.scrub import register_secret
    from tracker.rules.reachability import ERROR_CHARS, unreachable_alert

    secret = "unreach-Tok3n-9f8e7d6c5b4a"
    register_secret(secret)
    # The secret straddles the message's cut: cut first, its head would show.
    error = "main: HTTP 502: " + "x" * (ERROR_CHARS - 30) + f" token={secret}\r\nSet-Cookie: a"
    since = T0 - timedelta(minutes=16)
    alert = unreachable_alert("main", since, T0, "status", error)
    assert alert.kind == PANEL_UNREACHABLE
    assert alert.message.startswith(
        "main: unreachable, every call has failed for 16m; last error (status): 'HTTP 502: xxx"
    )
    assert secret[:8] not in alert.message and secret[:8] not in str(alert.data)
    quoted = alert.message.split("last error (status): ", 1)[1]
    assert len(quoted) <= ERROR_CHARS + 2 and quoted.endswith("…'")  # one line, cut, quoted
    assert "\r" not in alert.message and "\n" not in alert.message
    assert alert.data == {
        "since": since.isoformat(timespec="seconds"),
        "last_action": "status",
        "last_error": error.removeprefix("main: ").replace(secret, "***"),
    }
    # A failure without words (not a panel error): the message as it was, no last_error.
    bare = unreachable_alert("main", since, T0, "status", None)
    assert bare.message == "main: unreachable, every call has failed for 16m"
    assert "last_error" not in bare.data


def test_a_grouped_refill_unknown_says_where_the_refills_not_named_are() -> None:
    from tracker.rules.unread_refills import closed_unknown_alerts, unknown_request_alerts

    def change(order: int, before: str) -> dict:
        fields = {"panel": "main", "order_id": order, "refill_id": str(order + 100)}
        return {**fields, "from_status": before, "to_status": "Unknown", "error": "timed out"}

    [asked] = unknown_request_alerts([change(i, "Requesting") for i in range(1, 9)])
    assert "8 refill requests of orders #1, #2, #3, #4, #5 and 3 more (in data.refills: " in (
        asked.message
    ), asked.message
    assert len(asked.data["refills"]) == 8
    [closed] = closed_unknown_alerts([change(i, "In progress") for i in range(1, 8)])
    assert "7 refills of orders #1, #2, #3, #4, #5 and 2 more (in data.refills: " in (
        closed.message
    ), closed.message
    assert "`smm-tracker alerts --json`) are no longer followed" in closed.message


def test_a_canceled_or_partial_alert_s_data_gives_each_order_s_currency() -> None:
    # A webhook reading data.orders gets each charge's currency beside it
    # (the message alone said it); none given, no key, as before.
    priced = {**transition(1, "Canceled"), "charge": 0.0, "charge_before": 0.9, "currency": "USD"}
    (alert,) = order_alerts([priced, {**transition(2, "Canceled"), "charge": 0.0}])
    first, second = alert.data["orders"]
    assert (first["order_id"], first["charge"], first["currency"]) == (1, 0.0, "USD")
    assert first["charge_before"] == 0.9
    assert "currency" not in second

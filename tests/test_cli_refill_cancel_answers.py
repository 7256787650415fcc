"""`refill` and `cancel` answers that name no usable refill or result: through
the real CLI (and the refill job for multi-order calls) against a scripted
panel on loopback.

Like `add`: a refill ID is a positive whole number (an int or a string of
digits). An answer that took the request without one is Unknown (the refill
may exist; it is not resent inside the cooldown), never an accepted "-7" nor a
refusal that invites another request. A cancel result that says neither yes
nor no is Unknown too.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply, text_reply
from simconfig import cli_in, request_refills_once, sim_config

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is retried, not the wait

KEY = "hostile-key-RefillCancel7"
LOST = "answered without a usable refill ID"


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli) with orders 5 and 6 tracked (placed by `add`);
    ``replies[action]`` scripts the answer to an action."""

    placed = iter([5, 6])
    replies: dict[str, Any] = {
        "balance": json_reply({"balance": "10.5", "currency": "USD"}),
    }

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action", "")
        if action == "add":
            return json_reply({"order": next(placed)})
        return replies.get(action) or json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 3')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})

    for _ in range(2):
        add = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
        assert add.exit_code == 0, add.output
    yield server, replies, cli
    server.stop()


def _rows(tmp_path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


def _refills(tmp_path) -> list[tuple]:
    return _rows(tmp_path, "SELECT order_id, refill_id, status FROM refills ORDER BY order_id")


def _said(result) -> str:
    """The one line the CLI says (log lines aside)."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        (json_reply({"refill": "-7"}), '{"refill": "-7"}'),
        (json_reply({"refill": -7}), '{"refill": -7}'),
        (json_reply({"refill": 0}), '{"refill": 0}'),
        (json_reply({"refill": "1e5"}), '{"refill": "1e5"}'),
        (json_reply({"refill": 12.5}), '{"refill": 12.5}'),
        (json_reply({"refill": "R-12"}), '{"refill": "R-12"}'),
        (json_reply({"refill": {"id": 5}}), '{"refill": {"id": 5}}'),
        (json_reply({"success": "Refill asap"}), '{"success": "Refill asap"}'),
        (json_reply({"status": "queued"}, status=202), '{"status": "queued"}'),
    ],
)
def test_a_refill_without_a_usable_id_is_unknown_and_not_resent(panel, tmp_path, reply, shown):
    server, replies, cli = panel
    replies["refill"] = reply
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    assert _said(result) == (
        "smm-tracker: order 5: the refill request may have reached the panel but its answer "
        f"gave no usable refill ID ({LOST}: {shown}); recorded as sent, so it is not resent "
        "inside the cooldown"
    )
    assert _refills(tmp_path) == [(5, None, "Unknown")]
    again = cli("refill", "5")
    assert again.exit_code == 1 and "not sent (pass --force to send anyway)" in _said(again)
    assert server.calls("refill") == 1


@pytest.mark.parametrize("status", [200, 201])
def test_a_2xx_refill_with_an_id_is_accepted(panel, tmp_path, status):
    _server, replies, cli = panel
    replies["refill"] = json_reply({"refill": "9"}, status=status)
    result = cli("refill", "5")
    assert result.exit_code == 0, result.output
    assert result.stdout == "refill 9 requested for order 5 on sim\n"
    assert _refills(tmp_path) == [(5, "9", "Pending")]


def test_a_refused_refill_stays_refused(panel, tmp_path):
    _server, replies, cli = panel
    replies["refill"] = json_reply({"error": "Order not eligible for refill."})
    result = cli("refill", "5")
    assert result.exit_code == 1
    assert "the panel refused the refill: Order not eligible for refill." in _said(result)
    assert _refills(tmp_path) == [(5, None, "Refused")]


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (
            {"refill": 77, "error": "Too many requests"},
            'answered a refill ID and an error: {"refill": 77, "error": "Too many requests"}',
        ),
        (
            {"refill": "Your refill request has been accepted"},
            f'{LOST}: {{"refill": "Your refill request has been accepted"}}',
        ),
    ],
)
def test_a_refill_answer_that_may_have_been_taken_is_unknown(panel, tmp_path, reply, why):
    # Like add: a refill ID beside an error, or words in the refill field that
    # refuse nothing, may be a refill the panel made. Stored as Refused, it did
    # not count against refill.max_requests and another was asked after the cooldown.
    server, replies, cli = panel
    replies["refill"] = json_reply(reply)
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    assert _said(result) == (
        "smm-tracker: order 5: the refill request may have reached the panel but its answer "
        f"gave no usable refill ID ({why}); recorded as sent, so it is not resent inside the "
        "cooldown"
    )
    assert _refills(tmp_path) == [(5, None, "Unknown")]
    assert server.calls("refill") == 1


REFUSALS = [
    "Order not eligible for refill.",
    "Refill is disabled for this service",
    "Service does not support refill",
    "You are not eligible to send refill request.",
    "The refill task is not completed for this order",
    "Incorrect order ID",
]


@pytest.mark.parametrize("field", ["error", "refill"])
@pytest.mark.parametrize("words", REFUSALS)
def test_refill_refusals_in_either_field_stay_refused(panel, tmp_path, field, words):
    _server, replies, cli = panel
    replies["refill"] = json_reply({field: words})
    result = cli("refill", "5")
    assert result.exit_code == 1
    assert f"the panel refused the refill: {words}" in _said(result)
    assert _refills(tmp_path) == [(5, None, "Refused")]


WHITELIST = {"error": "Access denied: IP 10.1.2.3 is not whitelisted"}


def test_a_key_refused_in_unknown_words_is_no_refusal_of_the_refill(panel, tmp_path):
    # The same words to balance: the key is refused, not this order's refill.
    # Stored as Refused, the order was held back a whole cooldown.
    server, replies, cli = panel
    replies["refill"] = replies["balance"] = json_reply(WHITELIST)
    result = cli("refill", "5")
    assert result.exit_code == 1
    assert _said(result) == (
        "smm-tracker: order 5: refill not sent, nothing recorded: "
        f"sim: refill: {WHITELIST['error']}"
    )
    assert _refills(tmp_path) == []  # nothing was asked: no row, no cooldown
    assert server.calls("refill") == 1 and server.calls("balance") == 1
    replies["balance"] = json_reply({"balance": "10.5", "currency": "USD"})
    replies["refill"] = json_reply({"refill": "9"})
    again = cli("refill", "5")
    assert again.exit_code == 0, again.output
    assert _refills(tmp_path) == [(5, "9", "Pending")]


def test_unknown_words_to_a_refill_are_its_refusal_while_balance_answers(panel, tmp_path):
    server, replies, cli = panel
    replies["refill"] = json_reply(WHITELIST)
    result = cli("refill", "5")
    assert result.exit_code == 1
    assert f"the panel refused the refill: {WHITELIST['error']}" in _said(result)
    assert _refills(tmp_path) == [(5, None, "Refused")]
    assert server.calls("balance") == 1


def _refill_job(tmp_path, url: str) -> None:
    request_refills_once(tmp_path / "t.db", url, KEY, [5, 6])


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            [{"order": 5, "refill": 0}, {"order": 6, "refill": "-7"}],
            [(5, None, "Unknown"), (6, None, "Unknown")],
        ),
        (
            [{"order": 5, "refill": "1e5"}, {"order": 6}],
            [(5, None, "Unknown"), (6, None, "Unknown")],
        ),
        (
            [{"order": 5, "refill": "8"}, {"order": 6, "refill": "Incorrect order ID"}],
            [(5, "8", "Pending"), (6, None, "Refused")],
        ),
        (
            [{"order": 5, "refill": 8}, {"order": 6, "refill": {"error": "Refill not found"}}],
            [(5, "8", "Pending"), (6, None, "Refused")],
        ),
        (
            [
                {"order": 5, "refill": 77, "error": "Too many requests"},
                {"order": 6, "refill": "Your refill request has been accepted"},
            ],
            [(5, None, "Unknown"), (6, None, "Unknown")],
        ),
    ],
)
def test_multi_refill_items_without_a_usable_id_are_unknown(panel, tmp_path, items, expected):
    server, replies, _cli = panel
    replies["refill"] = json_reply(items)
    _refill_job(tmp_path, server.url)
    assert _refills(tmp_path) == expected
    assert server.calls("refill") == 1


@pytest.mark.parametrize("items", [[[5, 77]], [["5", "77"], ["6", "78"]], [[77, 78]]])
def test_a_multi_refill_answered_as_a_list_of_lists_is_unknown_and_says_what_came(
    panel, tmp_path, items
):
    # Which number is an order and which a refill, no field says (refill and
    # order IDs are alike numbers): no refill ID is guessed at. Each order
    # was Unknown "not in the panel's answer", hiding what came back.
    server, replies, _cli = panel
    replies["refill"] = json_reply(items)
    _refill_job(tmp_path, server.url)
    said = (
        "answered a list of lists, no field saying which number is an order and which a "
        f"refill: {json.dumps(items)}; asked one order at a time this round"
    )
    rows = _rows(tmp_path, "SELECT order_id, refill_id, status, error FROM refills ORDER BY 1")
    assert rows == [(5, None, "Unknown", said), (6, None, "Unknown", said)]
    assert server.calls("refill") == 1  # never resent


def test_a_refill_answered_as_a_list_of_lists_says_what_came(panel, tmp_path):
    server, replies, cli = panel
    replies["refill"] = json_reply([["5", "77"]])
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    assert _said(result) == (
        "smm-tracker: order 5: the refill request may have reached the panel but its answer "
        'gave no usable refill ID (expected an object for refill, got list: [["5", "77"]]); '
        "recorded as sent, "
        "so it is not resent inside the cooldown"
    )
    assert _refills(tmp_path) == [(5, None, "Unknown")]
    assert server.calls("refill") == 1


def test_a_multi_refill_refused_for_the_key_in_words_of_its_own_asks_nothing(panel, tmp_path):
    # The same words to `balance`: the key is refused, no refill was asked,
    # and no order is held back by a "Refused" that was never its own.
    server, replies, _cli = panel
    denied = json_reply({"error": "Access denied: IP 10.1.2.3 is not whitelisted"})
    replies["refill"] = replies["balance"] = denied
    _refill_job(tmp_path, server.url)
    assert _refills(tmp_path) == []
    assert server.calls("refill") == 1


def test_a_multi_refill_answered_too_many_requests_refuses_no_order(panel, tmp_path):
    server, replies, _cli = panel
    replies["refill"] = json_reply({"error": "Too many requests"})
    _refill_job(tmp_path, server.url)
    assert _refills(tmp_path) == []  # nothing asked: both eligible at the next round
    replies["refill"] = json_reply([{"order": 5, "refill": 8}, {"order": 6, "refill": 9}])
    _refill_job(tmp_path, server.url)
    assert _refills(tmp_path) == [(5, "8", "Pending"), (6, "9", "Pending")]


def _cancels(tmp_path) -> list[tuple]:
    return _rows(tmp_path, "SELECT order_id, result, error FROM cancels ORDER BY order_id")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("ok", "'ok'"),
        (None, "None"),
        ({"status": "done"}, '{"status": "done"}'),
        ("done", "'done'"),
        # Not a plain yes: each was told to the user as accepted.
        (2, "2"),
        ("2", "'2'"),
        (-1, "-1"),
        (0.5, "0.5"),
        ("yes", "'yes'"),
    ],
)
def test_a_cancel_result_neither_yes_nor_no_is_unknown(panel, tmp_path, value, shown):
    _server, replies, cli = panel
    replies["cancel"] = json_reply([{"order": 5, "cancel": value}, {"order": 6, "cancel": 0}])
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    why = f"answered without a readable cancel result: {shown}"
    assert result.stdout == f"#5  unknown: {why} - check the panel\n#6  refused: refused\n"
    assert _cancels(tmp_path) == [(5, "Unknown", why), (6, "Refused", "refused")]


@pytest.mark.parametrize(
    ("item", "why"),
    [
        (
            {"order": 5, "cancel": 1, "error": "Try later"},
            'answered a cancel and an error: {"order": 5, "cancel": 1, "error": "Try later"}',
        ),
        (
            {"order": 5, "cancel": "Cancel request accepted"},
            "answered without a readable cancel result: 'Cancel request accepted'",
        ),
    ],
)
def test_a_cancel_item_that_may_have_been_taken_is_unknown_not_refused(panel, tmp_path, item, why):
    # Stored Refused, the reseller would take the order as still running.
    _server, replies, cli = panel
    replies["cancel"] = json_reply([item, {"order": 6, "cancel": "Order is not pending"}])
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert _cancels(tmp_path) == [(5, "Unknown", why), (6, "Refused", "Order is not pending")]


def test_a_cancel_answer_in_words_is_a_refusal_and_201_is_read(panel, tmp_path):
    _server, replies, cli = panel
    replies["cancel"] = json_reply(
        [{"order": 5, "cancel": "Incorrect order ID"}, {"order": 6, "cancel": "1"}], status=201
    )
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "#5  refused: Incorrect order ID",
        "#6  canceled (the panel accepted; status follows on its next check)",
    ]
    assert _cancels(tmp_path) == [(5, "Refused", "Incorrect order ID"), (6, "Accepted", None)]


_DENIED = json_reply({"error": "Access denied: IP 10.1.2.3 is not whitelisted"})
_KEY_ITEM = {"error": "Invalid API key"}


@pytest.mark.parametrize(
    ("answers", "said"),
    [
        # The same words to `balance`: the key is refused, nothing was canceled.
        ({"cancel": _DENIED, "balance": _DENIED}, "Access denied: IP 10.1.2.3"),
        # The key refused order by order: each order got "Refused" for it in
        # its cancel history, as if the panel had judged it.
        (
            {
                "cancel": json_reply(
                    [{"order": 5, "cancel": _KEY_ITEM}, {"order": 6, "cancel": _KEY_ITEM}]
                )
            },
            "Invalid API key",
        ),
    ],
)
def test_a_cancel_refused_for_the_key_stores_no_refusal(panel, tmp_path, answers, said):
    # No order gets a "Refused" in its cancel history for the key.
    _server, replies, cli = panel
    replies.update(answers)
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert _said(result).startswith(f"smm-tracker: sim: cancel: {said}")
    assert _cancels(tmp_path) == []


def test_a_cancel_yes_beside_key_refusals_in_every_item_is_unknown(panel, tmp_path):
    # "cancel": 1 beside the words: it may have been canceled. Never taken for
    # "the key refused, nothing canceled".
    _server, replies, cli = panel
    item = {"cancel": 1, "error": "Invalid API key"}
    replies["cancel"] = json_reply([{"order": 5, **item}, {"order": 6, **item}])
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert [r[:2] for r in _cancels(tmp_path)] == [(5, "Unknown"), (6, "Unknown")]


def test_a_whole_cancel_refused_while_the_panel_answers_otherwise_is_stored(panel, tmp_path):
    _server, replies, cli = panel
    replies["cancel"] = json_reply({"error": "Cancel is disabled"})
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert _cancels(tmp_path) == [(o, "Refused", "Cancel is disabled") for o in (5, 6)]


def test_a_whole_cancel_refused_while_balance_fails_too_stores_no_refusal(panel, tmp_path):
    # Unknown words to cancel and a failing balance: the panel is failing, which
    # is no refusal of these orders; nothing was canceled, nothing is stored.
    server, replies, cli = panel
    replies["cancel"] = json_reply({"error": "Cancel could not be processed"})
    replies["balance"] = GATEWAY
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert server.calls("cancel") == 1
    assert (
        "#5  not canceled: Cancel could not be processed (and the panel failed a balance "
        "check) - try again later"
    ) in result.stdout
    assert "2 of 2 cancels not accepted" in result.stderr
    assert _cancels(tmp_path) == []


def test_cancel_on_a_panel_without_a_cancel_action_is_learned_as_the_automation_does(
    panel, tmp_path
):
    # The panel answers cancel as it answers an action it does not know.
    _server, replies, cli = panel
    first = cli("cancel", "--yes", "5", "6")  # the first such refusal: nothing learned
    assert first.exit_code == 1
    assert "learned missing if the next cancel call is refused so too" in first.stderr
    learned = "SELECT action, supported, evidence FROM panel_capabilities"
    assert _rows(tmp_path, learned) == []
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    # A note about the panel, on stderr: stdout holds one line per order, for scripts.
    assert "note: sim has no cancel action: the automation sends no cancels there" in (
        result.stderr
    )
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["#5", "#6"]
    assert _rows(tmp_path, learned) == [("cancel", 0, "Incorrect request")]
    assert [r for _, r, _ in _cancels(tmp_path)] == ["Refused"] * 4
    # services' note names the command that asks again: it named `refill ID`.
    noted = cli("services").stderr
    assert "sim does not support cancel (learned " in noted, noted
    assert "; `smm-tracker cancel ID` tries again" in noted, noted
    replies["cancel"] = json_reply([{"order": 5, "cancel": 1}])
    again = cli("cancel", "--yes", "5")  # `cancel` still sends, and unlearns
    assert again.exit_code == 0, again.output
    assert "note: sim accepts cancels again: the automation may send them" in again.stderr
    assert again.stdout == "#5  canceled (the panel accepted; status follows on its next check)\n"
    assert _rows(tmp_path, learned) == [("cancel", 1, "a cancel was accepted")]


def test_cancel_on_a_panel_known_to_lack_the_action_still_says_so(panel, tmp_path):
    # Learned at the second run; the third read only "refused: Incorrect
    # request" for each order, as if the panel had refused those orders.
    _server, _replies, cli = panel
    assert cli("cancel", "--yes", "5").exit_code == 1
    assert cli("cancel", "--yes", "5").exit_code == 1
    again = cli("cancel", "--yes", "6")
    assert again.exit_code == 1
    assert again.stdout == "#6  refused: Incorrect request\n"
    assert "note: sim has no cancel action: the automation sends no cancels there" in (again.stderr)
    learned = "SELECT action, supported, evidence FROM panel_capabilities"
    assert _rows(tmp_path, learned) == [("cancel", 0, "Incorrect request")]


GATEWAY = Reply(b"<html><title>502 Bad Gateway</title></html>", 502, {"Content-Type": "text/html"})


def test_a_cancel_whose_answer_was_lost_is_sent_once_and_unknown(panel, tmp_path):
    # Cancel is not a read: a 502 after sending may hide a cancel the panel made.
    server, replies, cli = panel
    replies["cancel"] = GATEWAY
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert server.calls("cancel") == 1
    assert [(o, r) for o, r, _ in _cancels(tmp_path)] == [(5, "Unknown"), (6, "Unknown")]
    assert "outcome unknown — check the panel before canceling again" in _cancels(tmp_path)[0][2]
    assert result.stdout.count("check the panel") == 2  # once per order


def test_a_busy_answer_to_cancel_is_not_resent(panel, tmp_path):
    server, replies, cli = panel
    replies["cancel"] = json_reply({"error": "Too many requests"})
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert server.calls("cancel") == 1
    # HTTP 429 in words: nothing was canceled, no refusal of these orders stored.
    assert "#5  not sent: panel busy: Too many requests - try again later" in result.stdout
    assert "2 of 2 cancels not sent" in result.stderr  # not "not accepted": never asked
    assert _cancels(tmp_path) == []


@pytest.mark.parametrize(
    "words",
    [
        "Too many requests (upstream said HTTP 413)",
        "Too many requests; HTTP 404 from the order service",
        "Too many requests, HTTP 403: slow down",
    ],
)
def test_a_busy_answer_naming_an_http_code_in_its_words_gets_no_fix_for_that_code(
    panel, tmp_path, words
):
    # The fix was read back out of the line's text: a 200 answer whose words
    # held "HTTP 413" was told "the request is too large for the server in
    # front of the panel" (404: "no API at this URL's path", 403: "refuses
    # access"), where the code the panel answered with (200) says: try again.
    server, replies, cli = panel
    replies["cancel"] = json_reply({"error": words})
    result = cli("cancel", "--yes", "5")
    assert result.exit_code == 1
    assert f"#5  not sent: panel busy: {words} - try again later" in result.stdout, result.stdout
    assert "panels[0].url" not in result.stdout and "too large" not in result.stdout
    assert server.calls("cancel") == 1 and _cancels(tmp_path) == []


def test_a_busy_answer_to_a_refill_is_no_refusal_and_asked_again(panel, tmp_path):
    # Stored Refused, the order would wait a whole cooldown for a rate limit.
    server, replies, cli = panel
    replies["refill"] = json_reply({"error": "Too many requests"})
    first = cli("refill", "5", "--force")
    assert first.exit_code == 1
    # Which order, and that it can simply be asked again: nothing is recorded.
    assert "order 5: refill not sent, nothing recorded: panel busy: Too many requests" in (
        first.output
    )
    assert _refills(tmp_path) == []
    replies["refill"] = json_reply({"refill": "901"})
    again = cli("refill", "5")  # no cooldown: nothing was asked before
    assert again.exit_code == 0, again.output
    assert _refills(tmp_path) == [(5, "901", "Pending")]
    assert server.calls("refill") == 2


def test_a_cancel_call_refused_as_a_whole_is_split_down_to_the_order_refused(tmp_path, monkeypatch):
    # One order provokes the refusal of the whole call while the panel answers
    # otherwise: nothing was canceled, so halves are asked until it stands alone.
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "10.5", "currency": "USD"})
        if form.get("action") != "cancel":  # the action no panel has
            return json_reply({"error": "Incorrect request"})
        asked = form.get("orders", "").split(",")
        if "6" in asked:
            return json_reply({"error": "Order 6 is being processed"})
        return json_reply([{"order": int(o), "cancel": 1} for o in asked])

    with HostileServer(respond) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        result = cli("cancel", "--yes", "5", "6", "7", "8")
        cancels = [f for f in server.requests if f.get("action") == "cancel"]
    assert result.exit_code == 1
    assert _cancels(tmp_path) == [
        (5, "Accepted", None),
        (6, "Refused", "Order 6 is being processed"),
        (7, "Accepted", None),
        (8, "Accepted", None),
    ]
    assert len(cancels) <= 2 * 4 - 1


def test_a_split_cancel_asks_a_failing_no_such_action_probe_once(tmp_path, monkeypatch):
    # Whether the refusal is the panel's "no such action" is asked with an
    # action no panel has; a panel failing that question (HTTP 500) was asked
    # it again at every level of the split, each time through every retry:
    # `cancel` of 4 orders took 52 s with the default retries.
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "10.5", "currency": "USD"})
        if form.get("action") != "cancel":
            return text_reply("Internal Server Error", status=500)
        asked = form.get("orders", "").split(",")
        if "6" in asked:
            return json_reply({"error": "Order 6 is being processed"})
        return json_reply([{"order": int(o), "cancel": 1} for o in asked])

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel="retries = 0")
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        result = cli("cancel", "--yes", "5", "6", "7", "8")
        probes = [f for f in server.requests if f.get("action") == "smm_tracker_no_such_action"]
    assert result.exit_code == 1
    assert [row[:2] for row in _cancels(tmp_path)] == [
        (5, "Accepted"),
        (6, "Refused"),
        (7, "Accepted"),
        (8, "Accepted"),
    ]
    assert len(probes) == 1


ACCEPTED_LINE = "canceled (the panel accepted; status follows on its next check)"
BESIDE = "answered an error beside the orders' results: "


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        (  # keyed by order ID instead of the documented list
            {"5": 1, "6": {"error": "This order cannot be canceled"}},
            [(5, "Accepted", None), (6, "Refused", "This order cannot be canceled")],
        ),
        ({"5": "1", "6": 0}, [(5, "Accepted", None), (6, "Refused", "refused")]),
        (
            {"5": True, "6": "Incorrect order ID"},
            [(5, "Accepted", None), (6, "Refused", "Incorrect order ID")],
        ),
        (  # neither yes nor no: it may have been canceled
            {"5": 1, "6": "ok"},
            [
                (5, "Accepted", None),
                (6, "Unknown", "answered without a readable cancel result: 'ok'"),
            ],
        ),
        (  # items keyed by a PHP index, as before
            {"0": {"order": 5, "cancel": 1}, "1": {"order": 6, "cancel": 1}},
            [(5, "Accepted", None), (6, "Accepted", None)],
        ),
        (  # filed under another order's key: neither is read as canceled
            {"5": {"order": 6, "cancel": 1}},
            [(o, "Unknown", "answered under order 5 for order 6") for o in (5, 6)],
        ),
        (  # an error beside results: what was canceled cannot be told
            {"5": 1, "6": 1, "error": "Partly failed"},
            [
                (o, "Unknown", f'{BESIDE}{{"5": 1, "6": 1, "error": "Partly failed"}}')
                for o in (5, 6)
            ],
        ),
        (  # one order answered twice, differently
            [{"order": 5, "cancel": 1}, {"order": 5, "cancel": 0}, {"order": 6, "cancel": 1}],
            [(5, "Unknown", "answered twice, differently"), (6, "Accepted", None)],
        ),
    ],
)
def test_a_cancel_answer_keyed_by_order_id_is_read(panel, tmp_path, answer, stored):
    server, replies, cli = panel
    replies["cancel"] = json_reply(answer)
    result = cli("cancel", "--yes", "5", "6")
    assert _cancels(tmp_path) == stored
    assert result.exit_code == (0 if all(r == "Accepted" for _, r, _ in stored) else 1)
    if stored[0][1] == "Accepted":
        assert result.stdout.splitlines()[0] == f"#5  {ACCEPTED_LINE}"
    assert server.calls("cancel") == 1


def test_keys_of_a_cancel_answer_naming_no_asked_order_are_ignored_and_logged(panel, tmp_path):
    _server, replies, cli = panel
    replies["cancel"] = json_reply({"5": 1, "7": 1, "05": 1, "status": 100})
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"#5  {ACCEPTED_LINE}",
        "#6  unknown: not in the panel's answer - check the panel",
    ]
    assert _cancels(tmp_path) == [
        (5, "Accepted", None),
        (6, "Unknown", "not in the panel's answer"),
    ]
    # "05" is order 5 (as in a status answer), saying what "5" says: not ignored.
    (logged,) = [line for line in result.stderr.splitlines() if "cancel_answer_ignored" in line]
    assert "count=2" in logged and "'7', 'status'" in logged, logged


def test_a_refill_id_given_twice_differently_is_unknown_not_refused(panel, tmp_path):
    # {"refill": 7, "refill": 8}: the panel may have made refill 7, 8 or both.
    # Read as its error, it was stored Refused, and asked again after the cooldown.
    server, replies, cli = panel
    replies["refill"] = text_reply('{"refill": "7", "refill": "8"}')
    result = cli("refill", "5")
    assert result.exit_code == 1, result.output
    assert "may have reached the panel but its answer gave no usable refill ID" in _said(result)
    assert 'answered "refill" twice, differently: "7" and "8"' in _said(result)
    assert _refills(tmp_path) == [(5, None, "Unknown")]
    assert server.calls("refill") == 1


def test_a_cancel_result_given_twice_differently_is_unknown_not_refused(panel, tmp_path):
    # {"cancel": 1, "cancel": 0}: the order may have been canceled. Stored
    # Refused, the reseller would take the order as still running.
    _server, replies, cli = panel
    replies["cancel"] = text_reply(
        '[{"order": 5, "cancel": 1, "cancel": 0}, {"order": 6, "cancel": 0}]'
    )
    result = cli("cancel", "--yes", "5", "6")
    assert result.exit_code == 1
    (five, six) = _cancels(tmp_path)
    assert five[:2] == (5, "Unknown") and "twice, differently" in five[2]
    assert six == (6, "Refused", "refused")
    assert result.stdout.startswith("#5  unknown: ")


def _refill_round(tmp_path, monkeypatch, refill: Callable[[dict[str, str]], Reply]) -> Any:
    """Track orders 5 and 6 (placed by `add`) on a panel answering `refill`
    with ``refill(form)``, run one refill round; return the server."""
    placed = iter([5, 6])

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "add":
            return json_reply({"order": next(placed)})
        if action == "balance":
            return json_reply({"balance": "10.5", "currency": "USD"})
        if action == "refill":
            return refill(form)
        return json_reply({"error": "Incorrect request"})

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel='timeout = "5s"')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        for _ in range(2):
            add = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
            assert add.exit_code == 0, add.output
        _refill_job(tmp_path, server.url)
    return server


@pytest.mark.parametrize("beside", [{}, {"refills": []}, {"code": 400}])
def test_a_multi_refill_refused_as_a_whole_asks_each_order_alone(tmp_path, monkeypatch, beside):
    # One order of another service provokes the refusal of the whole call
    # while the panel answers otherwise: stored as both orders' refusal, the
    # next round asked the same batch and was refused again, for ever, and
    # order 5's guarantee was never asked for. Each order alone tells.
    def refill(form: dict[str, str]) -> Reply:
        if "6" in (form.get("orders") or form.get("order", "")).split(","):
            return json_reply({"error": "Refill is disabled for this service", **beside})
        return json_reply({"refill": 8})

    server = _refill_round(tmp_path, monkeypatch, refill)
    assert _refills(tmp_path) == [(5, "8", "Pending"), (6, None, "Refused")]
    assert server.calls("refill") == 3  # the pair, then each alone


@pytest.mark.parametrize(
    "beside",
    [
        {"refills": [{"order": 5, "refill": 8}]},
        {"5": {"refill": 8}},
        {"data": [8]},
    ],
)
def test_a_multi_refill_refusal_beside_refill_ids_asks_no_order_again(
    tmp_path, monkeypatch, beside
):
    # The panel refused the call as a whole, yet its answer holds a refill
    # for order 5: asking each order alone sent order 5's refill twice.
    def refill(form: dict[str, str]) -> Reply:
        if form.get("orders"):
            return json_reply({"error": "Refill is disabled for this service", **beside})
        return json_reply({"refill": 9})

    server = _refill_round(tmp_path, monkeypatch, refill)
    assert server.calls("refill") == 1  # the pair only: never order 5 again
    assert [row[1] for row in _refills(tmp_path)] == [None, None]


def test_a_refill_asked_again_after_a_refusal_says_the_last_one_was_refused(panel, tmp_path):
    # newuser176: "inside refill.cooldown since its last request" alone, after
    # the panel refused that request, left the user wondering what to wait for.
    server, replies, cli = panel
    replies["refill"] = json_reply({"error": "Order not eligible for refill. " + "x" * 200})
    first = cli("refill", "5")
    assert first.exit_code == 1, first.output
    assert _refills(tmp_path) == [(5, None, "Refused")]
    (asked,) = _rows(tmp_path, "SELECT requested_at FROM refills")
    again = cli("refill", "5")
    assert again.exit_code == 1, again.output
    said = _said(again)
    assert said.startswith(
        "smm-tracker: order 5: inside refill.cooldown since its last request (the panel "
        f"refused it {asked[0]}: Order not eligible for refill. xxx"
    ), said
    assert said.endswith("…); not sent (pass --force to send anyway)"), said
    assert "x" * 100 not in said, said  # the panel's words cut short
    assert server.calls("refill") == 1
    # Accepted, then asked again: no word of a refusal.
    replies["refill"] = json_reply({"refill": "9"})
    assert cli("refill", "6").exit_code == 0
    again = cli("refill", "6")
    assert _said(again) == (
        "smm-tracker: order 6: a refill of it is still open; not sent (pass --force to send anyway)"
    )


def test_history_shows_the_cancel_requests_and_what_the_panel_answered(
    panel, tmp_path, monkeypatch
):
    # newuser176: `history ID` said nothing of a cancel sent: the order just
    # stayed In progress after a refused one, Canceled after an accepted one.
    import json

    from tracker.cli import screen

    _server, replies, cli = panel
    replies["cancel"] = json_reply(
        [{"order": 5, "cancel": {"error": "Order cannot be canceled"}}, {"order": 6, "cancel": 1}]
    )
    assert cli("cancel", "--yes", "5", "6").exit_code == 1
    replies["cancel"] = json_reply([{"order": 5, "cancel": {"error": "SQLSTATE[HY000]"}}])
    assert cli("cancel", "--yes", "5").exit_code == 1
    (first, then) = [r[0] for r in _rows(tmp_path, "SELECT requested_at FROM cancels ORDER BY id")][
        ::2
    ]
    piped = cli("history", "5")
    assert piped.exit_code == 0, piped.output
    assert piped.stdout.splitlines()[-2:] == [
        f"cancel requested {first}: the panel refused it: Order cannot be canceled",
        f"cancel requested {then}: its answer is not known: SQLSTATE[HY000] (may or may not be"
        " canceled: check the panel; the next poll sees its status)",
    ], piped.stdout
    accepted = cli("history", "6").stdout.splitlines()[-1]
    assert accepted == f"cancel requested {first}: the panel accepted it"
    unknown = "SQLSTATE[HY000] (may or may not be canceled: check the panel; the next poll sees"
    unknown += " its status)"
    shown = json.loads(cli("history", "5", "--json").stdout)
    assert shown["cancels"] == [
        {"requested_at": first, "result": "Refused", "error": "Order cannot be canceled"},
        {"requested_at": then, "result": "Unknown", "error": unknown},
    ]
    assert "transitions" in shown and "next_refill" in shown  # the keys there before, kept
    # On a terminal: the times short, as the rest of history says them.
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    said = cli("history", "6").stdout.splitlines()[-1]
    assert re.fullmatch(r"cancel requested \d\d:\d\d UTC: the panel accepted it", said), said

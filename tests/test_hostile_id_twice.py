"""An ID key given twice, differently, beside an error, in the answers to
``add``, ``refill`` and ``cancel`` (``{"order": 77, "order": 78, "error":
"Not enough funds"}``, ``{"refill": 55, "refill": 56, "error": "Invalid
API key"}``, ``[{"order": 7, "order": 8, "cancel": 1}]``), through the
real CLI and a scripted panel on loopback: an ID was given, so something
may have been done: the outcome unknown, the answer said once, plainly,
never a refusal inviting a resend (it was "Not enough funds", nothing
placed; the key refused, nothing asked; the refill of every order in the
call refused) and never success (a yes beside it kept)."""

from __future__ import annotations

import pytest
from envelope_kit import ADD, DONE, GOING, added_once, answered_once, cancel_unknown, rows
from hostile import json_reply, text_reply
from simconfig import request_refills_once, scripted_panel, tracked_ids

pytestmark = pytest.mark.usefixtures("quick_backoff")  # a 429 sent again waits no time

KEY = "hostile-key-IdTwice213Zq"

ADDS = {
    "order-twice-refused": '{"order": 77, "order": 78, "error": "Not enough funds"}',
    "order-twice-key": '{"order": 77, "order": "x", "error": "Invalid API key"}',
    "order-twice-alone": '{"order": 77, "order": 78}',
    "error-twice": '{"order": 77, "error": "Bad link", "error": "Not enough funds"}',
}


@pytest.mark.parametrize("body", ADDS.values(), ids=ADDS.keys())
def test_an_add_giving_a_key_twice_beside_an_id_is_outcome_unknown(tmp_path, monkeypatch, body):
    placed = added_once(tmp_path, monkeypatch, KEY, text_reply(body))
    assert placed.exit_code != 0
    assert "outcome unknown" in placed.output, placed.output
    assert "twice, differently" in placed.output and '\\"' not in placed.output
    assert tracked_ids(tmp_path) == []


def _refilled(tmp_path, monkeypatch, body, *orders):
    """Orders tracked (Completed), then their refill asked once answered
    ``body``: by the CLI's ``refill`` (one order), else by the refill job's
    request step (``orders=``, as the daemon asks several)."""
    if orders == (5,):
        result, _ = answered_once(tmp_path, monkeypatch, KEY, "refill", body)
        return result, rows(tmp_path, "SELECT order_id, status, error FROM refills")
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({str(o): DONE for o in orders})
        assert cli("track", *map(str, orders)).exit_code == 0
        replies["refill"] = text_reply(body)
        request_refills_once(tmp_path / "t.db", server.url, KEY, list(orders))
        assert server.calls("refill") == 1  # never sent again
    return None, rows(tmp_path, "SELECT order_id, status, error FROM refills ORDER BY order_id")


ONE = {
    "refill-twice-key": '{"refill": 55, "refill": 56, "error": "Invalid API key"}',
    "refill-twice-words": '{"refill": 55, "refill": 56, "error": "Order not eligible"}',
    "order-twice": '{"order": 5, "order": 6, "refill": 55}',
}


@pytest.mark.parametrize("body", ONE.values(), ids=ONE.keys())
def test_a_refill_giving_an_id_key_twice_is_outcome_unknown(tmp_path, monkeypatch, body):
    result, refills = _refilled(tmp_path, monkeypatch, body, 5)
    assert result.exit_code != 0
    [line] = [x for x in result.stderr.splitlines() if x.startswith("smm-tracker: order 5:")]
    assert "may have reached the panel" in line, line
    [(_, status, error)] = refills
    assert status == "Unknown" and "twice, differently" in error and '\\"' not in error, error


MANY = {
    "refill-twice-error": '{"refill": 55, "refill": 56, "error": "Order not eligible"}',
    "order-twice-item": '[{"order": 5, "refill": 55}, {"order": 5, "order": 6, "refill": 56}]',
}


@pytest.mark.parametrize("body", MANY.values(), ids=MANY.keys())
def test_a_multi_refill_giving_an_id_key_twice_refuses_nothing(tmp_path, monkeypatch, body):
    _, refills = _refilled(tmp_path, monkeypatch, body, 5, 6)
    assert [(o, s) for o, s, _ in refills] == [(5, "Unknown"), (6, "Unknown")], refills
    assert any("twice, differently" in e and '\\"' not in e for _, _, e in refills), refills


CANCELS = {
    "order-twice": '[{"order": 7, "order": 8, "cancel": 1}]',
    "order-twice-beside-yes": '[{"order": 7, "cancel": 1}, {"order": 8, "order": 7, "cancel": 1}]',
    "error-twice": '{"7": 1, "error": "a", "error": "b"}',
}


@pytest.mark.parametrize("body", CANCELS.values(), ids=CANCELS.keys())
def test_a_cancel_giving_an_id_key_twice_is_outcome_unknown(tmp_path, monkeypatch, body):
    result, [row] = answered_once(tmp_path, monkeypatch, KEY, "cancel", body)
    cancel_unknown(result, row)


ACTED_429 = {
    "add-order": ("add", '{"order": 77, "order": 78}'),
    "refill-id": ("refill", '{"refill": 55, "refill": 56}'),
    "cancel-keyed-yes": ("cancel", '{"7": 1, "7": 0}'),
    "cancel-item-yes": ("cancel", '[{"order": 7, "cancel": 1, "cancel": "0"}]'),
}


@pytest.mark.parametrize(("action", "body"), ACTED_429.values(), ids=ACTED_429.keys())
def test_a_429_giving_an_id_or_a_yes_twice_is_read_never_sent_again(
    tmp_path, monkeypatch, action, body
):
    # The panel's script ran and said something was done, twice, differently:
    # it was "never reached the panel", sent again (a second order placed).
    command = {
        "add": ADD,
        "refill": ["refill", "--force", "5"],
        "cancel": ["cancel", "--yes", "--force", "7"],
    }[action]
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"5": DONE, "7": GOING})
        if action != "add":
            assert cli("track", "5" if action == "refill" else "7").exit_code == 0
        replies[action] = text_reply(body, 429)
        result = cli(*command)
        assert server.calls(action) == 1, result.output  # never sent again
    assert "Traceback" not in result.output
    assert result.exit_code != 0
    assert "twice, differently" in result.output, result.output
    assert "rate limit" not in result.output.lower(), result.output


def test_an_order_id_beside_refusing_words_given_twice_is_said_with_them(tmp_path, monkeypatch):
    # Words are no yes or no: the order is tracked, as beside the words once,
    # but never said a plain placement (the refusing value was dropped).
    body = '{"order": 77, "message": "Order placed", "message": "Not enough funds"}'
    placed = added_once(tmp_path, monkeypatch, KEY, text_reply(body))
    assert placed.exit_code == 0, placed.output
    assert placed.stdout == "77\n"
    also = "#77 placed by the panel's answer, but it also said: Not enough funds"
    assert any(line.startswith(f"smm-tracker: sim: {also}") for line in placed.stderr.splitlines())
    assert tracked_ids(tmp_path) == [77]

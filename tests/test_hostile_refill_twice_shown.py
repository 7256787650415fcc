"""A refill answer giving a key twice, differently, inside one item
(``{"refill": 55, "error": "a", "error": "b"}``), through the real
``refill`` command on a scripted loopback panel (a ``cancel`` item and a
``refill_status`` answer alike, through ``cancel`` and the refill job's
follow step): the refill is unknown, as before, and the answer is said
once, plainly, each key given twice in the words other answers shown say
it in (``<answered "error" twice,
differently: "a" and "b">``). It was JSON-escaped JSON inside the JSON
shown (``{"error": {"error": "answered \\"error\\" twice, ...``), cut
before its values."""

from __future__ import annotations

import pytest
from envelope_kit import DONE, answered_once, rows
from hostile import json_reply, text_reply
from simconfig import follow_refills_once, scripted_panel

pytestmark = pytest.mark.usefixtures("quick_backoff")

KEY = "hostile-key-RefillTwice205"
CASES = {
    "error": (
        '{"refill": 55, "error": "a", "error": "b"}',
        'answered a refill ID and an error: {"refill": 55, "error": '
        '<answered "error" twice, differently: "a" and "b">}',
    ),
    "refill": (
        '{"order": 6, "refill": 55, "refill": 56}',
        'answered for order 6: {"order": 6, "refill": '
        '<answered "refill" twice, differently: 55 and 56>}',
    ),
    "inner": (
        '{"refill": {"id": 1, "id": 2}}',
        'answered without a usable refill ID: {"refill": {"id": '
        '<answered "id" twice, differently: 1 and 2>}}',
    ),
    "listed": (
        '[{"order": 5, "refill": 55, "error": "x", "error": "y"}]',
        'answered a refill ID and an error: {"order": 5, "refill": 55, "error": '
        '<answered "error" twice, differently: "x" and "y">}',
    ),
}


@pytest.mark.parametrize(("body", "said"), CASES.values(), ids=CASES.keys())
def test_a_key_given_twice_in_a_refill_answer_is_said_once_plainly(
    tmp_path, monkeypatch, body, said
):
    result, [(_, status, error)] = answered_once(tmp_path, monkeypatch, KEY, "refill", body)
    [line] = [x for x in result.stderr.splitlines() if x.startswith("smm-tracker: order 5:")]
    assert "may have reached the panel" in line  # unknown, as before
    # The line cuts the panel's part at render.PANEL_WORDS; the row keeps it.
    assert said.partition(" twice, ")[0] in line, line
    assert '\\"' not in line and "{'" not in line, line
    assert status == "Unknown" and said in error and '\\"' not in error, error


def test_a_key_given_twice_in_a_cancel_item_is_said_once_plainly(tmp_path, monkeypatch):
    said = (
        'answered a cancel and an error: {"order": 7, "cancel": 1, "error": '
        '<answered "error" twice, differently: "x" and "y">}'
    )
    body = '[{"order": 7, "cancel": 1, "error": "x", "error": "y"}]'
    result, [(_, outcome, error)] = answered_once(tmp_path, monkeypatch, KEY, "cancel", body)
    [line] = [x for x in result.output.splitlines() if x.startswith("#7")]
    assert "unknown" in line and said.partition(" twice, ")[0] in line, line
    assert '\\"' not in line and "{'" not in line, line
    assert outcome == "Unknown" and said in error and '\\"' not in error, error


def test_a_key_given_twice_in_a_refill_status_is_said_once_plainly(tmp_path, monkeypatch):
    said = 'no refill status: {"a": <answered "a" twice, differently: 1 and 2>}'
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply({"refill": 55})
        assert cli("track", "5").exit_code == 0
        assert cli("refill", "--force", "5").exit_code == 0
        replies["refill_status"] = text_reply('{"status": {"a": 1, "a": 2}}')
        follow_refills_once(tmp_path / "t.db", server.url, KEY)
    [(refill_id, error)] = rows(tmp_path, "SELECT refill_id, error FROM refills")
    assert refill_id == "55" and said in error and '\\"' not in error, error

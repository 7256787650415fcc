"""A panel script that prints its answer twice (an ``echo json_encode(...)``
in a helper and again in the controller, no ``exit`` between them), or two
different answers one after the other. Through the real CLI and a scripted
panel on loopback.

The same document twice is that answer, glued (``{...}{...}``) or on two
lines: glued, every call failed as "invalid JSON" and `add` ended "outcome
unknown" for an order placed. Two documents that differ are no answer the
tracker can believe: the second was taken for a PHP notice and the first
believed, so ``{"error": "Not enough funds"}`` then ``{"order": 5009}`` was
"no order placed" for an order the panel says it placed (sent again by the
user: placed twice)."""

from __future__ import annotations

import json

import pytest
from hostile import Reply
from simconfig import assert_added_once, assert_polled_once, scripted_panel, stored_orders

from tracker.errors import BadAnswerError
from tracker.panel.body import decode_json

KEY = "hostile-key-TwoDocs7Hq3Zp2"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
STATUS = {"7": {"status": "In progress", "remains": "40"}, "8": "Completed"}


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli): ``replies`` maps an action to its Reply."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as scripted:
        yield scripted


@pytest.mark.parametrize(
    "between", ["", "\n", " ", "\r\n\r\n"], ids=["glued", "line", "space", "blank line"]
)
def test_add_answered_the_same_order_twice_is_placed_once(panel, tmp_path, between):
    server, replies, cli = panel
    replies["add"] = Reply(('{"order": 23501}' + between + '{"order": 23501}').encode())
    assert_added_once(server, cli(*ADD), tmp_path, 23501)


@pytest.mark.parametrize("between", ["", "\n"], ids=["glued", "line"])
def test_status_answered_twice_alike_is_read(panel, tmp_path, between):
    server, replies, cli = panel
    text = json.dumps(STATUS)
    replies["status"] = Reply((text + between + text).encode())
    assert_polled_once(server, cli, tmp_path)


@pytest.mark.parametrize(
    "body",
    [
        '{"error": "Not enough funds on balance"}\n{"order": 5009}',
        '{"error": "Not enough funds on balance"}{"order": 5009}',
        '{"order": 5009}\n{"error": "Not enough funds on balance"}',
        '{"order": 5009}\n{"order": 5010}',
        '<b>Notice</b>: x on line 3<br />\n{"error": "Bad Link"}\n{"order": 5009}',
    ],
    ids=["refusal then order", "glued", "order then refusal", "two orders", "behind a notice"],
)
def test_add_answered_two_different_documents_is_outcome_unknown(panel, tmp_path, body):
    server, replies, cli = panel
    replies["add"] = Reply(body.encode())
    result = cli(*ADD)
    assert result.exit_code != 0, result.output
    assert "outcome unknown" in result.output, result.output
    assert "no order placed" not in result.output
    assert "2 JSON documents that differ" in result.output, result.output
    assert "Traceback" not in result.output
    assert stored_orders(tmp_path) == []  # no ID believed: the user checks the panel
    assert [f["action"] for f in server.requests] == ["add"]  # sent once


@pytest.mark.usefixtures("quick_backoff")  # what is stored, not the retries' 1-2 s waits
def test_status_answered_two_different_documents_fails_the_call_not_an_order(panel, tmp_path):
    server, replies, cli = panel
    other = {"7": {"status": "Canceled", "remains": "100"}, "8": "Completed"}
    replies["status"] = Reply((json.dumps(STATUS) + "\n" + json.dumps(other)).encode())
    assert cli("track", "7", "8").exit_code == 0
    result = cli("run", "--once", "--all")
    assert result.exit_code != 0
    assert "2 JSON documents that differ" in result.output, result.output
    assert stored_orders(tmp_path) == [(7, None, None), (8, None, None)]  # neither believed


def test_a_document_and_json_looking_notice_text_are_told_apart():
    # Prose with brackets around the document is no second document.
    assert decode_json(b'see [1] below\n{"order": 5}\n[notice] done') == {"order": 5}
    assert decode_json(b'{"order": 5}\n{"order": 5}\n') == {"order": 5}
    with pytest.raises(BadAnswerError, match="2 JSON documents that differ"):
        decode_json(b'{"order": 5}[7]')

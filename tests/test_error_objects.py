"""A panel whose errors are objects, as web frameworks write them
(``{"error": {"code": 422, "message": "The link field is required."}}``):
the line says the panel's words, never Python's rendering of the object
(``{'code': 422, 'message': ...}``). Through the real CLI and a scripted
panel on loopback, and the refusal reader itself."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import json_reply
from simconfig import scripted_panel

from tracker.panel.refusals import error_text

KEY = "hostile-key-ErrObjects7Hq3Zp2"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli): ``replies`` maps an action to its Reply."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as scripted:
        yield scripted


def test_add_refused_with_an_error_object_says_its_message(panel):
    server, replies, cli = panel
    error = {"code": 422, "message": "The link field is required."}
    replies["add"] = json_reply({"error": error})
    result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert "add: The link field is required.; no order placed" in result.output, result.output
    assert "'code'" not in result.output and "{" not in result.output
    assert [f["action"] for f in server.requests] == ["add"]


def test_an_orders_error_object_is_stored_as_its_words(panel, tmp_path):
    _, replies, cli = panel
    replies["status"] = json_reply(
        {"7": {"error": {"msg": "Order is blocked by moderation"}}, "8": {"status": "Completed"}}
    )
    assert cli("track", "7", "8").exit_code == 0
    result = cli("run", "--once", "--all")
    with sqlite3.connect(tmp_path / "t.db") as db:
        stored = dict(db.execute("SELECT order_id, error FROM orders"))
    assert stored[7] == "Order is blocked by moderation", (stored, result.output)
    assert "{'msg'" not in result.output


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ("Incorrect order ID", "Incorrect order ID"),
        ({"message": "Bad link"}, "Bad link"),
        ({"code": 7, "description": "Service disabled"}, "Service disabled"),
        ({"code": 7}, '{"code": 7}'),  # no words: the object as JSON writes it
        (["Bad link", "Quantity too low"], "Bad link; Quantity too low"),
        (True, "true"),
        (6016, "6016"),
    ],
)
def test_an_error_is_said_in_the_panels_words(error, said):
    assert error_text({"error": error}) == said
    assert error_text({"error": None}) is None and error_text({"error": ""}) is None

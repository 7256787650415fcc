"""An ``add`` answered with an order ID beside a failure written as JSON
APIs write one (``{"order": 77, "status": "error", "message": "Not enough
funds"}``, ``"success": false``), through the real CLI and a scripted
panel on loopback: placed or not cannot be told, as with the same ID
beside ``{"error": ...}``: outcome unknown, the whole answer said, nothing
tracked, never sent twice. It printed ``77``, exit 0, and tracked order
77: the panel's failure, and its words, dropped. An ID beside a status
that says no failure ("success", an order's "Pending") or other words
stays the order placed."""

from __future__ import annotations

import pytest
from hostile import json_reply
from simconfig import add_panel, tracked_ids

KEY = "hostile-key-AddFailure193Zq"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]


def _placed(tmp_path, monkeypatch, answer):
    with add_panel(tmp_path, monkeypatch, KEY) as (server, set_reply, cli):
        set_reply(json_reply(answer))
        placed = cli(*ADD)
        assert server.calls("add") == 1  # never sent twice
    assert "Traceback" not in placed.output
    return placed


@pytest.mark.parametrize(
    "answer",
    [
        {"order": 77, "status": "error", "message": "Not enough funds"},
        {"order": "77", "status": "Failed"},
        {"order": 77, "success": False, "msg": "Bad link"},
        {"order": 77, "success": "0"},
    ],
    ids=["status-error", "status-failed", "success-false", "success-0"],
)
def test_an_order_id_beside_a_failure_is_outcome_unknown(tmp_path, monkeypatch, answer):
    placed = _placed(tmp_path, monkeypatch, answer)
    assert placed.exit_code != 0
    assert "outcome unknown" in placed.output
    assert "answered an order ID and an error" in placed.output
    assert '"order": ' in placed.output  # the whole answer said, its words with it
    assert tracked_ids(tmp_path) == []


@pytest.mark.parametrize(
    "answer",
    [
        {"order": 77, "status": "success"},
        {"order": 77, "status": "Pending"},
        {"order": 77, "success": True, "message": "Order placed"},
    ],
    ids=["status-success", "status-pending", "success-true"],
)
def test_an_order_id_beside_no_failure_is_placed(tmp_path, monkeypatch, answer):
    placed = _placed(tmp_path, monkeypatch, answer)
    assert placed.exit_code == 0, placed.output
    assert tracked_ids(tmp_path) == [77]

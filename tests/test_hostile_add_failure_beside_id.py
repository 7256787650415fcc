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
from envelope_kit import added_once
from hostile import json_reply
from simconfig import tracked_ids

KEY = "hostile-key-AddFailure193Zq"


def _placed(tmp_path, monkeypatch, answer):
    return added_once(tmp_path, monkeypatch, KEY, json_reply(answer))


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

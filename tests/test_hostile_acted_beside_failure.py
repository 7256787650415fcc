"""A refill ID or a cancel's yes beside a failure written as JSON APIs
write one (``"status": "error"``, ``"fail"``, ``"Failed"``, ``"success":
false``), answered to ``refill`` or ``cancel``, through the real CLI and a
scripted panel on loopback: done or not cannot be told, as with the same
beside ``{"error": ...}``: outcome unknown, the whole answer said and
stored. ``{"refill": 55, "success": false, "message": "Refill not
available"}`` was "refill 55 requested", stored Pending; ``{"7": 1,
"status": "error", "message": "Cancel failed"}`` was "#7 canceled (the
panel accepted)", its status and words logged as orders nobody asked for
(``cancel_answer_ignored``). Beside a status saying success, as before."""

from __future__ import annotations

import pytest
from envelope_kit import cancelled, refilled
from logcapture import fresh_logs  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its log lines read from the CLI's output

KEY = "hostile-key-ActedFailure193Zq"


@pytest.mark.parametrize(
    "answer",
    [
        {"refill": 55, "success": False, "message": "Refill not available"},
        {"refill": "55", "status": "fail", "message": "Order not eligible"},
        {"refill": 55, "status": "error"},
    ],
    ids=["success-false", "status-fail", "status-error"],
)
def test_a_refill_id_beside_a_failure_is_its_outcome_unknown(tmp_path, monkeypatch, answer):
    exit_code, said, refills = refilled(tmp_path, monkeypatch, KEY, answer)
    assert exit_code != 0
    [(refill_id, status, error)] = refills
    assert status == "Unknown" and "answered a refill ID and an error" in error
    assert not [line for line in said if "refill 55 requested" in line], said


@pytest.mark.parametrize(
    "answer",
    [
        {"7": 1, "status": "error", "message": "Cancel failed"},
        {"7": 1, "success": False},
        [{"order": 7, "cancel": 1, "status": "error"}],
        [{"order": 7, "cancel": 1, "success": False}],
    ],
    ids=["keyed-status-error", "keyed-success-false", "item-status-error", "item-success-false"],
)
def test_a_cancel_yes_beside_a_failure_is_its_outcome_unknown(tmp_path, monkeypatch, answer):
    exit_code, said, cancels = cancelled(tmp_path, monkeypatch, KEY, answer)
    assert exit_code != 0
    assert cancels == [(7, "Unknown", cancels[0][2])]  # never Accepted
    assert "and an error" in cancels[0][2] or "an error beside" in cancels[0][2]
    assert any("#7  unknown:" in line and "check the panel" in line for line in said), said
    assert not [line for line in said if "cancel_answer_ignored" in line]


def test_a_yes_beside_a_success_status_stays_accepted(tmp_path, monkeypatch):
    _, _, cancels = cancelled(tmp_path, monkeypatch, KEY, {"7": 1, "status": "success"})
    assert cancels == [(7, "Accepted", None)]
    _, _, refills = refilled(tmp_path / "r", monkeypatch, KEY, {"refill": 55, "success": True})
    assert refills == [("55", "Pending", None)]

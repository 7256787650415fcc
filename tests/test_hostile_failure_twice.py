"""An order ID, a refill ID or a cancel's yes beside a failure flag given
twice, differently (``{"refill": 55, "status": "error", "status":
"fail"}``, ``"success": false, "success": true``), through the real CLI
and a scripted panel on loopback: a panel contradicting itself about
success is no success, as one failure flag beside the ID is not (outcome
unknown, the whole answer said once, plainly, nothing tracked for
``add``). The decoder keeps such a key as an error item (``Twice``),
which the failure check read as no failure: "refill 55 requested", "#7
canceled (the panel accepted)", order 77 tracked."""

from __future__ import annotations

import pytest
from envelope_kit import added_once, answered_once, cancel_unknown
from hostile import text_reply
from simconfig import tracked_ids

KEY = "hostile-key-FailureTwice213Zq"

ADDS = {
    "status-error-fail": '{"order": 77, "status": "error", "status": "fail"}',
    "status-success-error": '{"order": 77, "status": "success", "status": "error"}',
    "success-false-true": '{"order": 77, "success": false, "success": true}',
    "success-true-0": '{"order": "77", "success": true, "success": "0"}',
}


@pytest.mark.parametrize("body", ADDS.values(), ids=ADDS.keys())
def test_an_order_id_beside_a_failure_given_twice_is_outcome_unknown(tmp_path, monkeypatch, body):
    placed = added_once(tmp_path, monkeypatch, KEY, text_reply(body))
    assert placed.exit_code != 0
    assert "outcome unknown" in placed.output
    assert "answered an order ID and an error" in placed.output
    assert "twice, differently" in placed.output and '\\"' not in placed.output
    assert tracked_ids(tmp_path) == []


REFILLS = {
    "status-error-fail": '{"refill": 55, "status": "error", "status": "fail"}',
    "success-false-true": '{"refill": 55, "success": false, "success": true}',
    "listed-status": '[{"order": 5, "refill": 55, "status": "fail", "status": "error"}]',
    "listed-success": '[{"order": 5, "refill": "55", "success": true, "success": 0}]',
}


@pytest.mark.parametrize("body", REFILLS.values(), ids=REFILLS.keys())
def test_a_refill_id_beside_a_failure_given_twice_is_outcome_unknown(tmp_path, monkeypatch, body):
    result, [(_, status, error)] = answered_once(tmp_path, monkeypatch, KEY, "refill", body)
    assert result.exit_code != 0
    assert "refill 55 requested" not in result.output
    [line] = [x for x in result.stderr.splitlines() if x.startswith("smm-tracker: order 5:")]
    assert "may have reached the panel" in line, line
    assert status == "Unknown" and "answered a refill ID and an error" in error, error
    assert "twice, differently" in error and '\\"' not in error, error


CANCELS = {
    "keyed-status": '{"7": 1, "status": "error", "status": "fail"}',
    "keyed-success": '{"7": 1, "success": true, "success": false}',
    "item-status": '[{"order": 7, "cancel": 1, "status": "success", "status": "failed"}]',
    "item-success": '[{"order": 7, "cancel": "1", "success": false, "success": true}]',
    "keyed-item": '{"7": {"cancel": 1, "status": "error", "status": "fail"}}',
}


@pytest.mark.parametrize("body", CANCELS.values(), ids=CANCELS.keys())
def test_a_cancel_yes_beside_a_failure_given_twice_is_outcome_unknown(tmp_path, monkeypatch, body):
    result, [row] = answered_once(tmp_path, monkeypatch, KEY, "cancel", body)
    cancel_unknown(result, row)
    assert "cancel_answer_ignored" not in result.output


def test_a_success_given_twice_saying_no_failure_stays_success(tmp_path, monkeypatch):
    body = '{"order": 77, "status": "success", "status": "ok"}'
    placed = added_once(tmp_path, monkeypatch, KEY, text_reply(body))
    assert placed.exit_code == 0, placed.output
    assert tracked_ids(tmp_path) == [77]

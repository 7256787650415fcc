"""Envelopes that hold no order's news, answered to ``status``, through the
real CLI and a scripted panel on loopback. An error envelope (``{"status":
"error", "data": {...}}``, ``"message"`` beside and ``"data": null``,
``{"success": false, "data": {...}}``) was read as one order's answer (its
status "error"): the panel was probed and asked one order at a time, each
order stored as Failed. It is the refusal of the whole call, judged as the
same words as ``{"error": ...}`` (a key refused: ``auth_failed``), the
orders untouched. A success envelope holding an error (``{"status":
"success", "data": {"error": ...}}``) is judged as ``{"data": {"error":
...}}``, and one holding nothing (``[]``, ``{}``) as that bare answer: no
order stored with the status "success"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from envelope_kit import DONE, GOING, rows
from simconfig import polled_then_answered

KEY = "hostile-key-ErrorEnvelope177Zq"
MODES = pytest.mark.parametrize("alone", [False, True], ids=["multi", "alone"])


def _judged(directory: Any, monkeypatch: Any, answer: Any, alone: bool) -> Any:
    """Track orders 7 and 8 and poll them (In progress), then answer status
    with ``answer``: every call, or (``alone``) the call about order 7 alone
    that follows a multi answer leaving it out. Return the run's exit code,
    its summary, the alerts, the orders stored, their transitions and the
    status calls asked (``orders=`` or ``order=``)."""
    run, asked = polled_then_answered(directory, monkeypatch, KEY, GOING, answer, alone)
    assert "Traceback" not in run.output
    said = re.sub(r"paused \(key refused\):.*", "paused (key refused)", run.stdout)  # jobs' race
    failed = re.findall(r"status_failed .*?error=(.*?) job=", run.output)  # the log's words
    alerts = rows(directory, "SELECT kind, severity, message FROM alerts ORDER BY id")
    orders = rows(directory, "SELECT order_id, status, polling, error FROM orders ORDER BY 1")
    moved = rows(directory, "SELECT order_id, to_status FROM transitions ORDER BY id")
    return run.exit_code, said, failed, alerts, orders, moved, asked


UNTOUCHED = [(7, "In progress", 1, None), (8, "In progress", 1, None)]


@MODES
@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"status": "error", "message": "Invalid API key", "data": None}, "Invalid API key"),
        ({"status": "error", "data": {"error": "Incorrect API key"}}, "Incorrect API key"),
        (
            {"success": False, "msg": "Incorrect API key", "result": {}, "code": 401},
            "Incorrect API key",
        ),
    ],
    ids=["message", "data-error", "success-false"],
)
def test_an_error_envelope_refusing_the_key_is_auth_failed(
    tmp_path, monkeypatch, answer, words, alone
):
    plain = _judged(tmp_path / "plain", monkeypatch, {"error": words}, alone)
    enveloped = _judged(tmp_path / "enveloped", monkeypatch, answer, alone)
    assert enveloped == plain
    exit_code, _, _, alerts, orders, moved, _ = enveloped
    assert exit_code != 0
    assert "auth_failed" in [kind for kind, _, _ in alerts]
    assert orders == UNTOUCHED and len(moved) == 2  # tracked, never moved


@MODES
@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"status": "error", "message": "Database down", "data": None}, "Database down"),
        ({"success": False, "data": {"error": "Database down"}}, "Database down"),
        ({"status": "error", "data": {"7": DONE, "8": DONE}}, 'status "error", no message'),
        ({"status": "fail", "data": {}}, 'status "fail", no message'),
        ({"success": False, "data": {"7": DONE, "8": DONE}}, "success false, no message"),
    ],
    ids=["message", "data-error", "orders-held", "empty", "success-false"],
)
def test_an_error_envelope_is_the_call_failing_never_the_orders(
    tmp_path, monkeypatch, answer, words, alone
):
    plain = _judged(tmp_path / "plain", monkeypatch, {"error": words}, alone)
    enveloped = _judged(tmp_path / "enveloped", monkeypatch, answer, alone)
    assert enveloped == plain
    exit_code, said, _, alerts, orders, moved, _ = enveloped
    assert [to for _, to in moved] == ["In progress", "In progress"]  # never Failed
    assert "auth_failed" not in [kind for kind, _, _ in alerts]
    if alone:  # the panel's words about order 7 asked alone, as the plain ones
        assert orders == [(7, "In progress", 1, words), UNTOUCHED[1]]
    else:
        assert exit_code != 0 and "1 failed status call" in said
        assert orders == UNTOUCHED


@MODES
@pytest.mark.parametrize("words", ["Incorrect API key", "Database down"])
def test_a_success_envelope_holding_an_error_is_judged_as_it_wrapped(
    tmp_path, monkeypatch, words, alone
):
    wrapped = _judged(tmp_path / "wrapped", monkeypatch, {"data": {"error": words}}, alone)
    answer = {"status": "success", "data": {"error": words}}
    enveloped = _judged(tmp_path / "enveloped", monkeypatch, answer, alone)
    assert enveloped == wrapped
    assert enveloped[4][1] == UNTOUCHED[1] and len(enveloped[5]) == 2


def test_only_an_envelope_saying_no_success_is_the_calls_refusal():
    from tracker.panel.script_shapes import error_enveloped

    for answer, said in [
        ({"status": "error", "data": {"7": DONE}}, 'status "error", no message'),
        ({"status": "Failed", "code": 500, "payload": None}, 'status "Failed", no message'),
        ({"success": False, "response": []}, "success false, no message"),
        ({"status": "error", "message": " ", "data": {"error": "Busy"}}, "Busy"),
        ({"status": "success", "data": {"error": "Incorrect API key"}}, "Incorrect API key"),
    ]:
        assert error_enveloped("status", answer, True) == {"error": said}, answer
    kept = [
        {"status": "error", "data": {}, "note": "x"},  # a key unknown beside
        {"status": "error", "data": {}, "result": {}},  # two holders
        {"status": "Completed", "data": {}},  # no error word
        {"status": "error", "success": True, "data": {}},
        {"status": "success", "data": {"error": "x", "status": "Completed"}},  # an order's field
        {"7": {"status": "error"}, "8": {"status": "error"}},  # keyed by order IDs
        {"status": "Error", "remains": "5", "charge": "0.5"},  # an order's
    ]
    for answer in kept:
        assert error_enveloped("status", answer, True) is answer, answer
    # Not to refill_status (a refill's Error may be its own): an error envelope
    # stays the answer it was; to add, refill, cancel its words are their
    # refusal (test_hostile_acting_error_envelopes.py); a success one holding
    # an error is read.
    for action in ("refill_status", "add", "refill", "cancel"):
        answer = {"status": "error", "message": "Link changed", "data": None}
        said = answer if action == "refill_status" else {"error": "Link changed"}
        assert error_enveloped(action, answer, False) == said
        held = {"status": "success", "data": {"error": "Incorrect API key"}}
        assert error_enveloped(action, held, False) == {"error": "Incorrect API key"}


@MODES
@pytest.mark.parametrize("held", [[], {}], ids=["list", "object"])
def test_a_success_envelope_holding_nothing_is_judged_as_the_bare_answer(
    tmp_path, monkeypatch, held, alone
):
    bare = _judged(tmp_path / "bare", monkeypatch, held, alone)
    enveloped = _judged(
        tmp_path / "enveloped", monkeypatch, {"status": "success", "data": held}, alone
    )
    assert enveloped[:2] + enveloped[3:] == bare[:2] + bare[3:]  # the answer shown whole
    exit_code, said, failed, alerts, orders, moved, asked = enveloped
    assert exit_code != 0 and "1 failed status call" in said
    assert orders == UNTOUCHED and len(moved) == 2  # never "success"
    assert "unknown_status" not in [kind for kind, _, _ in alerts]
    if not alone:
        assert "answered none of the 2 asked IDs" in failed[0]
        assert asked == ["orders=7,8"]  # never probed, nor asked one by one

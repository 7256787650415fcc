"""A refusal written as JSON APIs write one, an error envelope with words
(``{"status": "error", "message": "Refill not available", "data": null}``,
``{"success": false, "data": {"error": ...}}``, a ``code`` beside),
answered to ``refill``, ``cancel`` or ``add``, through the real CLI and a
scripted panel on loopback, is judged as the same words bare, ``{"error":
...}``: the same exit code, words and rows, with a 200 or a 400. A refill
or cancel so refused was an outcome unknown (the envelope shown, or with a
400 "check the panel"), and a cancel's envelope keys were read as orders
nobody asked for, its words lost. Wordless, or holding what may say what
was done (a refill ID), it stays the answer it was: outcome unknown. To
``add``, only words a bare ``{"error": ...}`` is a plain refusal in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from envelope_kit import cancelled, refilled, said
from hostile import json_reply
from simconfig import add_panel

KEY = "hostile-key-ActingEnvelope182Zq"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
ENVELOPES = pytest.mark.parametrize(
    "envelope",
    [
        lambda words: {"status": "error", "message": words, "data": None},
        lambda words: {"status": "error", "data": {"error": words}},
        lambda words: {"success": False, "msg": words, "result": {}, "code": 400},
        lambda words: {"status": "fail", "message": words},
    ],
    ids=["message-null", "data-error", "success-false", "no-holder"],
)
CODES = pytest.mark.parametrize("code", [200, 400])


def _refilled(directory: Path, monkeypatch: Any, answer: Any, code: int) -> Any:
    return refilled(directory, monkeypatch, KEY, answer, code)


@ENVELOPES
@CODES
def test_a_refill_refused_in_an_error_envelope_is_the_bare_refusal(
    tmp_path, monkeypatch, envelope, code
):
    words = "Refill not available"
    bare = _refilled(tmp_path / "bare", monkeypatch, {"error": words}, code)
    enveloped = _refilled(tmp_path / "enveloped", monkeypatch, envelope(words), code)
    assert enveloped == bare
    [(refill_id, status, error)] = enveloped[2]
    assert refill_id is None and status != "Unknown" and words in error  # refused, its words


def _cancelled(directory: Path, monkeypatch: Any, answer: Any, code: int) -> Any:
    return cancelled(directory, monkeypatch, KEY, answer, code)


@ENVELOPES
@CODES
def test_a_cancel_refused_in_an_error_envelope_is_the_bare_refusal(
    tmp_path, monkeypatch, envelope, code
):
    words = "Cancel is not available for this order"
    bare = _cancelled(tmp_path / "bare", monkeypatch, {"error": words}, code)
    enveloped = _cancelled(tmp_path / "enveloped", monkeypatch, envelope(words), code)
    assert enveloped == bare
    assert words in "\n".join(enveloped[1])  # said, never lost
    assert not [line for line in enveloped[1] if "cancel_answer_ignored" in line]


def _placed(directory: Path, monkeypatch: Any, answer: Any) -> Any:
    directory.mkdir()
    with add_panel(directory, monkeypatch, KEY) as (server, set_reply, cli):
        set_reply(json_reply(answer))
        placed = cli(*ADD)
    assert "Traceback" not in placed.output
    assert server.calls("add") == 1  # never sent twice
    return placed.exit_code, said(placed.output, directory)


@pytest.mark.parametrize("words", ["Not enough funds on balance", "Invalid API key"])
def test_add_refused_in_an_error_envelope_is_the_bare_refusal(tmp_path, monkeypatch, words):
    bare = _placed(tmp_path / "bare", monkeypatch, {"error": words})
    answer = {"status": "error", "message": words, "data": None}
    enveloped = _placed(tmp_path / "enveloped", monkeypatch, answer)
    assert enveloped == bare
    assert "outcome unknown" not in "\n".join(enveloped[1])


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "error", "message": "Too many requests", "data": None},  # may follow a placing
        {"status": "error", "data": None},  # no words
        {"status": "error", "message": "Not enough funds", "data": {"order": 77}},  # an ID held
    ],
    ids=["busy", "wordless", "id-held"],
)
def test_add_in_an_error_envelope_otherwise_stays_outcome_unknown(tmp_path, monkeypatch, answer):
    exit_code, said = _placed(tmp_path / "placed", monkeypatch, answer)
    assert exit_code != 0 and "outcome unknown" in "\n".join(said)


def test_only_words_holding_nothing_else_are_the_refusal():
    from tracker.panel.script_shapes import error_enveloped

    for action in ("refill", "cancel"):
        for answer in [
            {"status": "error", "data": None},  # no words: outcome unknown
            {"success": False, "result": {}},
            {"status": "error", "message": "x", "data": {"refill": 77}},  # a refill ID held
            {"status": "error", "message": "x", "data": [{"order": 5, "cancel": 1}]},
            {"status": "error", "message": "x", "data": {"error": "y", "order": 5}},
            {"status": "error", "message": "x", "note": "y"},  # a key unknown beside
            {"status": "Completed", "message": "x", "data": None},  # no error word
        ]:
            assert error_enveloped(action, answer, False) is answer, (action, answer)
        said = {"status": "error", "message": " Refill not available ", "data": []}
        assert error_enveloped(action, said, False) == {"error": "Refill not available"}
    # refill_status: its own {"status": "Error", "message": ...} may be the refill's.
    kept = {"status": "error", "message": "Link changed", "data": None}
    assert error_enveloped("refill_status", kept, False) is kept


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "error", "data": {}},
        {"success": False},
        {"status": "Failed", "code": 500, "result": None},
        {"success": False, "message": " ", "data": []},
    ],
    ids=["status-error", "success-false", "failed-code", "blank-message"],
)
def test_a_wordless_error_envelope_to_cancel_is_its_outcome_unknown(tmp_path, monkeypatch, answer):
    """A 200 answering cancel an error envelope of no words: no order's answer
    (its keys were read as orders, ``cancel_answer_ignored``), nor a refusal
    (the panel may have canceled): the order's cancel unknown, the answer shown."""
    exit_code, said, cancels = _cancelled(tmp_path / "wordless", monkeypatch, answer, 200)
    assert exit_code != 0 and cancels == [(7, "Unknown", cancels[0][2])]
    assert "answered an error with no words" in cancels[0][2]
    assert not [line for line in said if "cancel_answer_ignored" in line]
    assert any("#7  unknown:" in line and "check the panel" in line for line in said), said

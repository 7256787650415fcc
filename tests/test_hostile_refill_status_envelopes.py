"""An error envelope with a holder answering ``refill_status`` (``{"status":
"error", "message": "Invalid API key", "data": null}``), one refill or many,
with a 200 or a 4xx, whose words are never one refill's: the key refused,
the panel busy, the call itself refused ("Incorrect request"). Through the
real CLI and a scripted panel on loopback, it is judged as the same words
bare, ``{"error": ...}``: the refills' stored statuses as they were, the
call's failure said (``refill_status_failed``), the key's refusal
``auth_failed`` with its alert. A single refill's was stored ``Failed``
(hostile177 read ``{"status": "Error", "message": ...}`` as possibly the
refill's own). Words a refill's own ("Refill rejected") stay its Failed."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import scripted_panel
from test_refill_status_no_document import _refilled, _refilled_two, _refills

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its log lines read from the CLI's output

KEY = "hostile-key-RefillStatusEnvelope189Zq"
GOING = [{"refill": 77, "status": "In progress"}, {"refill": 78, "status": "In progress"}]


def _asked(tmp_path, monkeypatch, answer, code, many):
    """Refills 77 (and 78) In progress, then `run --once` answered ``answer``."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        (_refilled_two if many else _refilled)(replies, cli)
        replies["refill_status"] = json_reply(GOING if many else {"status": "In progress"})
        assert cli("run", "--once").exit_code == 0
        before = _refills(tmp_path)
        replies["refill_status"] = json_reply(answer, code)
        ran = cli("run", "--once")
        asked = [f for f in server.requests if f.get("action") == "refill_status"]
    assert ("refills" if many else "refill") in asked[-1]  # asked, and answered so
    assert "Traceback" not in ran.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        alerts = [kind for (kind,) in db.execute("SELECT kind FROM alerts")]
    return ran, before, alerts


@pytest.mark.parametrize(
    ("words", "code", "many"),
    [
        ("Invalid API key", 200, False),
        ("Invalid API key", 401, True),
        ("Too many requests", 200, False),
        ("Too many requests", 403, True),
        ("Incorrect request", 200, False),
        ("Unknown action", 200, True),
    ],
    ids=["key-200", "key-401-multi", "busy-200", "busy-403-multi", "call-200", "call-200-multi"],
)
def test_an_error_envelope_of_no_refills_words_is_the_calls_failure(
    tmp_path, monkeypatch, words, code, many
):
    answer = {"status": "error", "message": words, "data": None}
    ran, before, alerts = _asked(tmp_path, monkeypatch, answer, code, many)
    assert _refills(tmp_path) == before  # never Failed, nor the words as an error
    said = ran.stderr + ran.stdout
    failed = [line for line in said.splitlines() if "refill_status_failed" in line]
    assert ran.exit_code != 0 and failed and words in failed[0], said
    key = words == "Invalid API key"
    assert ("auth_failed" in alerts) == key and ("auth_failed" in said) == key
    assert "refill_rejected" not in alerts


def test_an_error_envelope_of_the_refills_own_words_stays_its_failed(tmp_path, monkeypatch):
    answer = {"status": "Error", "message": "Refill rejected", "data": None}
    ran, before, alerts = _asked(tmp_path, monkeypatch, answer, 200, False)
    assert before == [("77", "In progress", None)]
    assert [status for _, status, _ in _refills(tmp_path)] == ["Failed"]  # hostile177's pin
    assert "refill_rejected" in alerts and "auth_failed" not in alerts

"""A ``refill_status`` call answered words and no JSON document (a Cloudflare
challenge's "Just a moment..." with a 403) is the call's failure, never the
refill's own error: after `run --once` the refill's stored status and error
are as they were, and the failed call is said as other failed calls are
(``refill_status_failed``). It was stored as the refill's error (fuzz178)."""

from __future__ import annotations

import sqlite3

import pytest
from envelope_kit import DONE
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import scripted_panel

pytestmark = pytest.mark.usefixtures("fresh_logs")  # its log lines read from the CLI's output

KEY = "wire-key-NoDocument180Refill"


def _refills(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute("SELECT refill_id, status, error FROM refills ORDER BY id"))


def _refilled(replies, cli) -> None:
    """Order 5 tracked, Completed, and its refill 77 requested by hand."""
    replies["status"] = json_reply({"5": DONE})
    assert cli("track", "5").exit_code == 0
    assert cli("run", "--once").exit_code == 0
    replies["refill"] = json_reply({"refill": 77})
    assert cli("refill", "5").exit_code == 0


def test_a_challenge_page_to_refill_status_leaves_the_refill_as_it_was(tmp_path, monkeypatch):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        _refilled(replies, cli)
        replies["refill_status"] = json_reply({"status": "In progress"})
        assert cli("run", "--once").exit_code == 0
        before = _refills(tmp_path)
        assert before == [("77", "In progress", None)]
        challenge = Reply(b"Just a moment...", 403, {"Content-Type": "text/plain"})
        replies["refill_status"] = challenge
        ran = cli("run", "--once")
        asked = [f for f in server.requests if f.get("action") == "refill_status"]
        assert asked and asked[-1].get("refill") == "77"  # it was asked, and answered so
        assert _refills(tmp_path) == before  # not "HTTP 403: Just a moment..." as its error
        said = ran.stderr + ran.stdout
        assert "refill_status_failed" in said and "HTTP 403: Just a moment..." in said


def test_a_panel_lacking_refill_status_in_plain_words_is_learned_so(tmp_path, monkeypatch):
    """A script lacking refill_status that answers every action it lacks with
    the same plain words and a 404 ("Invalid action"): those words are what
    it says to an action that does not exist, so the second such refusal in
    a row learns refill_status missing, as with JSON words; never each
    round's failure for good."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        _refilled(replies, cli)
        lacking = Reply(b"Invalid action", 404, {"Content-Type": "text/plain"})
        replies["refill_status"] = replies["smm_tracker_no_such_action"] = lacking
        cli("run", "--once")
        again = cli("run", "--once")
        with sqlite3.connect(tmp_path / "t.db") as db:
            learned = list(db.execute("SELECT action FROM panel_capabilities WHERE supported = 0"))
        assert learned == [("refill_status",)], again.output
        assert _refills(tmp_path) == [("77", "Pending", None)]  # as the panel last said


def _refilled_two(replies, cli) -> None:
    """Orders 5 and 6 tracked, Completed, their refills 77 and 78 requested by hand."""
    replies["status"] = json_reply({"5": DONE, "6": DONE})
    assert cli("track", "5", "6").exit_code == 0
    assert cli("run", "--once").exit_code == 0
    for order, refill in ((5, 77), (6, 78)):
        replies["refill"] = json_reply({"refill": refill})
        assert cli("refill", str(order)).exit_code == 0


@pytest.mark.parametrize(
    ("words", "code", "many"),
    [
        ("Just a moment...", 401, False),
        ("Just a moment...", 403, False),
        ("Just a moment...", 404, False),
        ("Access denied", 200, False),
        ("Just a moment...", 403, True),
    ],
    ids=["401", "403", "404", "200", "403-multi"],
)
def test_a_bare_json_string_to_refill_status_leaves_the_refills_as_they_were(
    tmp_path, monkeypatch, words, code, many
):
    """The same words as a bare JSON string (``"Just a moment..."``) are no
    JSON object either: the call's failure, as with no JSON. They were
    stored as the refill's error ("HTTP 403: Just a moment...")."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        (_refilled_two if many else _refilled)(replies, cli)
        going = [{"refill": 77, "status": "In progress"}, {"refill": 78, "status": "In progress"}]
        replies["refill_status"] = json_reply(going if many else {"status": "In progress"})
        assert cli("run", "--once").exit_code == 0
        before = _refills(tmp_path)
        assert {status for _, status, _ in before} == {"In progress"}
        replies["refill_status"] = json_reply(words, code)
        ran = cli("run", "--once")
        asked = [f for f in server.requests if f.get("action") == "refill_status"]
    assert ("refills" if many else "refill") in asked[-1]  # it was asked, and answered so
    assert _refills(tmp_path) == before  # never the words as a refill's error
    said = ran.stderr + ran.stdout
    assert "refill_status_failed" in said and words in said

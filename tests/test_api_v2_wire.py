"""shared/api-v2.md's behaviours that had no test through the real path: the
CLI against a scripted panel on loopback (audit13). Each passes on the code
it was written against; each was checked to fail with the behaviour taken
out (the report of audit13 says how)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hostile import Reply, json_reply
from simconfig import scripted_panel

KEY = "wire-key-Api2Audit13Qx"
ADD = ["add", "--service", "9", "--link", "https://x.test/p", "--quantity", "100"]
DONE = {"status": "Completed", "remains": "0", "charge": "0.5", "start_count": "10"}


def _rows(tmp_path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


@pytest.mark.parametrize("words", ["Invalid action", "Unknown action", "Request Invalid"])
def test_a_panel_lacking_refill_and_cancel_in_its_own_generic_words_is_learned(
    tmp_path, monkeypatch, words
):
    # Panels answer an action they lack "Request Invalid", "Invalid action",
    # "Unknown action"...: the same words as to an action no panel has.
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        assert cli("track", "5").exit_code == 0
        refusal = json_reply({"error": words})
        replies.update(
            {"refill": refusal, "cancel": refusal, "smm_tracker_no_such_action": refusal}
        )
        first = cli("refill", "5")  # refused once: this call's failure, nothing learned
        assert first.exit_code == 1 and "the panel refused the refill: " in first.stderr
        refill = cli("refill", "--force", "5")  # --force: the refusal was recorded
        assert refill.exit_code == 1
        assert f"sim does not support refill: it answers {words!r}" in refill.stderr
        first = cli("cancel", "--yes", "5")  # refused once: nothing learned
        assert first.exit_code == 1 and "has no cancel action" not in first.stderr
        cancel = cli("cancel", "--yes", "5")
        assert cancel.exit_code == 1
        assert "note: sim has no cancel action" in cancel.stderr
        learned = "SELECT action, supported, evidence FROM panel_capabilities ORDER BY 1"
        assert _rows(tmp_path, learned) == [("cancel", 0, words), ("refill", 0, words)]
        assert _rows(tmp_path, "SELECT result FROM cancels") == [("Refused",), ("Refused",)]


REFILL_SPELLINGS = {
    # the panel's words -> stored status (shared/api-v2.md, "Refill statuses")
    "Pending": "Pending",
    "Awaiting": "Pending",
    "In progress": "In progress",
    "Processing": "In progress",
    "Refilling": "In progress",
    "Completed": "Completed",
    "Processed": "Completed",
    "Rejected": "Rejected",
    "Error": "Failed",
    "Failed": "Failed",
    "Canceled": "Canceled",
    "Cancelled": "Canceled",
}


@pytest.mark.parametrize(("word", "stored"), REFILL_SPELLINGS.items())
def test_every_refill_status_spelling_is_stored_canonical(tmp_path, monkeypatch, word, stored):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["status"] = json_reply({"5": DONE})
        replies["refill"] = json_reply({"refill": "77"})
        replies["refill_status"] = json_reply({"status": word})
        assert cli("track", "5").exit_code == 0
        assert cli("refill", "5").exit_code == 0
        result = cli("run", "--once", "--all")
        assert result.exit_code == 0, result.output
        assert _rows(tmp_path, "SELECT refill_id, status, raw_status, error FROM refills") == [
            ("77", stored, word, None)
        ]
        asked = [f for f in server.requests if f.get("action") == "refill_status"]
        assert [f.get("refill") for f in asked] == ["77"]


def test_add_sends_each_service_types_fields_by_their_api_v2_names(tmp_path, monkeypatch):
    # Unsynced services: nothing judged locally, every flag sent as written.
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["add"] = json_reply({"order": 5})
        fields = {
            "answer_number": "2",
            "keywords": "shoes\nred shoes",
            "groups": "g1\ng2",
            "usernames": "ann\nbob",
            "hashtags": "#a\n#b",
            "hashtag": "#h",
            "username": "bob",
            "media": "https://x.test/m/1",
            "runs": "3",
            "interval": "10",
        }
        flags = [part for name, value in fields.items() for part in (f"--{name}", value)]
        added = cli(*ADD, *[flag.replace("_", "-") for flag in flags])
        assert added.exit_code == 0, added.output
        [sent] = [f for f in server.requests if f.get("action") == "add"]
        assert sent == {
            "key": KEY,
            "action": "add",
            "service": "9",
            "link": "https://x.test/p",
            "quantity": "100",
            **fields,
        }
        # A subscription: a username and no link, its expiry as d/m/Y.
        replies["add"] = json_reply({"order": 6})
        subscription = {
            "username": "bob",
            "min": "100",
            "max": "200",
            "posts": "5",
            "old_posts": "2",
            "delay": "30",
            "expiry": "31/12/2026",
        }
        flags = [p for n, v in subscription.items() for p in (f"--{n.replace('_', '-')}", v)]
        added = cli("add", "--service", "10", *flags)
        assert added.exit_code == 0, added.output
        sent = [f for f in server.requests if f.get("action") == "add"][-1]
        assert sent == {"key": KEY, "action": "add", "service": "10", **subscription}


def test_service_flags_in_every_spelling_and_missing_fields_are_read(tmp_path, monkeypatch):
    # refill/cancel as true, 1, "1", "0", or missing (false); no desc at all.
    spellings = [(True, True), (1, 0), ("1", "0"), ("0", "1"), (None, None)]
    listed = []
    for number, (refill, cancel) in enumerate(spellings, start=1):
        item = {"service": number, "name": f"S{number}", "type": "Default", "category": "c"}
        item |= {"rate": "0.5", "min": "10", "max": "1000"}
        item |= {k: v for k, v in (("refill", refill), ("cancel", cancel)) if v is not None}
        listed.append(item)
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["services"] = json_reply(listed)
        result = cli("services", "--refresh", "--json")
        assert result.exit_code == 0, result.output
        got = [
            (s["service"], s["refill"], s["cancel"], s["description"])
            for s in json.loads(result.stdout)
        ]
        assert got == [
            (1, True, True, None),
            (2, True, False, None),
            (3, True, False, None),
            (4, False, True, None),
            (5, False, False, None),
        ]


def test_a_package_service_is_placed_with_its_link_alone(tmp_path, monkeypatch):
    # A synced Package service: no --quantity required, none sent.
    package = {"service": 7, "name": "Pack", "type": "Package", "category": "c"}
    package |= {"rate": "5", "min": "1", "max": "1"}
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["services"] = json_reply([package])
        replies["add"] = json_reply({"order": 5})
        assert cli("services", "--refresh").exit_code == 0
        added = cli("add", "--service", "7", "--link", "https://x.test/p")
        assert added.exit_code == 0, added.output
        assert added.stdout == "5\n"
        [sent] = [f for f in server.requests if f.get("action") == "add"]
        assert sent == {"key": KEY, "action": "add", "service": "7", "link": "https://x.test/p"}


def test_clean_json_under_a_text_html_content_type_is_the_panels_answer(tmp_path, monkeypatch):
    # PHP scripts send Content-Type: text/html for their JSON too.
    html = {"Content-Type": "text/html; charset=UTF-8"}
    with scripted_panel(tmp_path, monkeypatch, KEY) as (server, replies, cli):
        replies["add"] = Reply(b'{"order": 5}', 200, html)
        replies["status"] = Reply(json.dumps({"5": DONE}).encode(), 200, html)
        added = cli(*ADD)
        assert added.exit_code == 0, added.output
        assert added.stdout == "5\n"
        result = cli("run", "--once", "--all")
        assert result.exit_code == 0, result.output
        assert _rows(tmp_path, "SELECT order_id, status, charge FROM orders") == [
            (5, "Completed", 0.5)
        ]

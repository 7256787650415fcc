"""JSON as loose PHP scripts write it by hand: a trailing comma
(``{"status":"Completed",}``) and JSONP (``callback({...});``, a script
shared with a web page's widget). Read as the document it plainly is; it
failed every poll "answered invalid JSON". What stays unreadable (two
commas, a call of two arguments, a web page) keeps the clear failure.
Through the real CLI against a scripted panel on loopback."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import Reply, json_reply
from simconfig import scripted_panel

from tracker.errors import BadAnswerError
from tracker.panel.body import decode_json

KEY = "hostile-key-Loose169Zq"
GOING = {"status": "In progress", "remains": "5", "charge": "0.5"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"7": {"status": "Completed", "remains": "0",}, "8": {"status": "Partial",'
        b' "remains": "2"},}',
        b'callback({"7": {"status": "Completed", "remains": "0"},'
        b' "8": {"status": "Partial", "remains": "2"}});',
        b'jQuery123_456 ({"7": {"status": "Completed", "remains": "0", },'
        b' "8": {"status": "Partial", "remains": "2"}})\n',
    ],
)
def test_a_loose_status_answer_is_read(tmp_path, monkeypatch, body):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_, replies, cli):
        replies["status"] = json_reply({"7": GOING, "8": GOING})
        assert cli("track", "7", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        replies["status"] = Reply(body)
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert "invalid JSON" not in run.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        orders = list(db.execute("SELECT order_id, status, remains FROM orders ORDER BY 1"))
    assert orders == [(7, "Completed", 0), (8, "Partial", 2)]


def test_only_the_plain_reading_is_taken():
    assert decode_json(b'{"status": "Completed",}') == {"status": "Completed"}
    assert decode_json(b'{"error": "a,}b",}') == {"error": "a,}b"}  # inside a string: kept
    assert decode_json(b"[1, 2, ]") == [1, 2]
    assert decode_json(b'cb({"balance": "5"});') == {"balance": "5"}
    for body in [
        b'{"status": "Completed",,}',
        b'cb({"a": 1}, {"b": 2});',
        b'cb("Invalid API key");',
        b"<html><title>x(1)</title></html>",
        b'{"status": "Completed"',
    ]:
        with pytest.raises(BadAnswerError):
            decode_json(body)

"""Answers in UTF-16 (or UTF-32) with no byte order mark, their encoding named
only by the Content-Type header (``charset=utf-16le``): through the real CLI
and a scripted panel on loopback, they read as the same answer in UTF-8
would. Read as UTF-8 they held no JSON: every call was retried, and `add`
ended "outcome unknown". A byte order mark wins over the header; a charset
nobody knows, or one the body plainly is not in, leaves the body as UTF-8."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hostile import Reply
from simconfig import assert_added_once, assert_polled_once, scripted_panel

KEY = "hostile-key-Charset16Hq3"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]


def sent_as(text: str, codec: str, content_type: str) -> Reply:
    """``text`` encoded in ``codec`` (no byte order mark), under ``content_type``."""
    return Reply(text.encode(codec), headers={"Content-Type": content_type})


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli): ``replies`` maps an action to its Reply."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as scripted:
        yield scripted


@pytest.mark.parametrize(
    ("codec", "content_type"),
    [
        ("utf-16-le", "text/html; charset=utf-16le"),
        ("utf-16-be", "application/json; charset=UTF-16BE"),
        ("utf-16-le", 'text/html; charset="UTF-16"'),  # no order named: read from the bytes
        ("utf-16-be", "text/html;charset=utf-16"),
        ("utf-32-le", "application/json; charset=utf-32"),
        ("utf-32-be", "text/html; charset=UTF-32BE"),
    ],
)
def test_add_reads_an_answer_in_the_charset_its_header_names(panel, tmp_path, codec, content_type):
    server, replies, cli = panel
    replies["add"] = sent_as('{"order": 23501}', codec, content_type)
    assert_added_once(server, cli(*ADD), tmp_path, 23501)


def test_status_in_utf16_by_header_is_stored_and_never_retried(panel, tmp_path):
    server, replies, cli = panel
    answer = {"7": {"status": "In progress", "remains": "40"}, "8": "Completed"}
    text = "<br />\n<b>Notice</b>: Undefined index: x<br />\n" + json.dumps(answer)
    replies["status"] = sent_as(text, "utf-16-le", "text/html; charset=utf-16le")
    assert_polled_once(server, cli, tmp_path)


def test_a_key_echoed_in_utf16_by_header_never_reaches_the_database(panel, tmp_path):
    _, replies, cli = panel
    text = json.dumps({"7": {"status": f"Held for key {KEY}", "remains": "5"}})
    replies["status"] = sent_as(text, "utf-16-be", "text/html; charset=utf-16be")
    assert cli("track", "7").exit_code == 0
    result = cli("run", "--once", "--all")
    assert "Traceback" not in result.output and KEY not in result.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        [(raw,)] = db.execute("SELECT raw_status FROM orders WHERE order_id = 7")
    assert raw.startswith("Held for key ") and KEY not in raw


def test_a_byte_order_mark_wins_over_the_header(panel):
    _, replies, cli = panel
    body = b"\xfe\xff" + '{"order": 23502}'.encode("utf-16-be")
    replies["add"] = Reply(body, headers={"Content-Type": "text/html; charset=utf-16le"})
    result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "23502"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=utf-16le",  # says UTF-16, plainly is not (no NUL beside ASCII)
        "text/html; charset=x-bogus-charset",
        "text/html; charset=",
        "text/html; charset=" + "u" * 5000,
    ],
)
def test_a_utf8_answer_under_a_wrong_or_unknown_charset_reads_as_utf8(panel, content_type):
    _, replies, cli = panel
    replies["add"] = sent_as('{"order": 23503}', "utf-8", content_type)
    result = cli(*ADD)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "23503"


def test_utf16_under_an_unknown_charset_is_one_clear_line(panel, tmp_path):
    server, replies, cli = panel
    replies["add"] = sent_as('{"order": 23504}', "utf-16-le", "text/html; charset=x-wide")
    result = cli(*ADD)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "outcome unknown" in result.output  # the panel answered: it may have placed it
    assert "invalid JSON" in result.output
    assert [f["action"] for f in server.requests] == ["add"]  # never sent twice


def test_read_by_its_header_a_body_stays_within_half_again_its_capped_size():
    from tracker.panel.encoding import as_utf8

    wide = ("\u20ac" * 1000).encode("utf-16-le") + b"\x00"  # odd: cut mid-unit
    text = as_utf8(wide, "text/plain; charset=utf-16le")
    assert text.decode("utf-8") == "\u20ac" * 1000 + "\ufffd"
    assert len(text) <= 1.5 * len(wide) + 2
    plain = b'{"order": 1}'
    assert as_utf8(plain, "application/json; charset=utf-8") is plain  # untouched, not copied

"""Answers in UTF-16 (or UTF-32) behind a byte order mark, as a panel script on
a Windows host may send them: through the real CLI and a scripted panel on
loopback, they read as the same answer in UTF-8 would. Read as UTF-8 they held
no JSON: every call was retried, and `add` ended "outcome unknown"."""

from __future__ import annotations

import codecs
import json
import sqlite3

import pytest
from hostile import Reply
from simconfig import assert_added_once, assert_polled_once, scripted_panel

from tracker.errors import BadAnswerError
from tracker.panel.body import decode_json

KEY = "hostile-key-Utf16Bom7Wq"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]


def encoded(value: object, codec: str, *, text: str | None = None) -> Reply:
    """``value`` as JSON (or ``text`` as written) in ``codec``, byte order mark first."""
    body = text if text is not None else json.dumps(value)
    marks = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-8": codecs.BOM_UTF8,
    }
    return Reply(marks[codec] + body.encode(codec), headers={"Content-Type": "text/html"})


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli): ``replies`` maps an action to its Reply."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as scripted:
        yield scripted


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-8"])
def test_add_reads_an_answer_behind_a_byte_order_mark(panel, tmp_path, codec):
    server, replies, cli = panel
    replies["add"] = encoded({"order": 23501}, codec)
    assert_added_once(server, cli(*ADD), tmp_path, 23501)


def test_status_answers_in_utf16_are_stored_and_never_retried(panel, tmp_path):
    server, replies, cli = panel
    answer = {"7": {"status": "In progress", "remains": "40", "charge": "0.1"}, "8": "Completed"}
    # PHP notices before the JSON, in the same encoding, read through too.
    text = "<br />\n<b>Notice</b>: Undefined index: x<br />\n" + json.dumps(answer)
    replies["status"] = encoded(None, "utf-16-le", text=text)
    assert_polled_once(server, cli, tmp_path)


def test_a_key_echoed_in_utf16_never_reaches_the_output_or_the_database(panel, tmp_path):
    _, replies, cli = panel
    echoed = {"7": {"status": f"Held for key {KEY}", "remains": "5"}}
    replies["status"] = encoded(echoed, "utf-16-be")
    assert cli("track", "7").exit_code == 0
    result = cli("run", "--once", "--all")
    assert "Traceback" not in result.output and KEY not in result.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        [(raw,)] = db.execute("SELECT raw_status FROM orders WHERE order_id = 7")
    assert raw.startswith("Held for key ") and KEY not in raw


def test_broken_utf16_reads_as_what_it_says_and_stays_bounded():
    from tracker.panel.encoding import as_utf8

    # A lone surrogate is U+FFFD, never an error further on (log, database).
    body = codecs.BOM_UTF16_LE + '{"error": "x\ud800y"}'.encode("utf-16-le", "surrogatepass")
    assert decode_json(body) == {"error": "x\ufffdy"}
    # Cut off mid-unit: a broken answer, told in one line like any other.
    with pytest.raises(BadAnswerError, match="answered invalid JSON"):
        decode_json(body[:-3])
    # Never more than half as long again as the body the size cap let through.
    wide = codecs.BOM_UTF16_BE + ("\u20ac" * 1000).encode("utf-16-be")
    assert len(as_utf8(wide)) <= 1.5 * len(wide)
    plain = b'{"order": 1}'
    assert as_utf8(plain) is plain  # the usual body: untouched, not copied


# PHP prints notices while it starts, then an included file saved with a BOM
# (a Windows editor) prints its BOM right before the JSON: mid-body, after them.
NOTICES = {
    "plain": "Deprecated: Creation of dynamic property X::$y is deprecated in /a.php on line 3\n",
    "html": '<div style="border:1px solid #990000;"><h4>A PHP Error was encountered</h4></div>',
}


@pytest.mark.parametrize("notice", sorted(NOTICES))
def test_a_byte_order_mark_after_php_notices_is_read_past(notice):
    body = (NOTICES[notice] + "\ufeff" + '{"order": 23501}').encode("utf-8")
    assert decode_json(body) == {"order": 23501}


def test_add_reads_an_answer_with_a_bom_after_php_notices(panel, tmp_path):
    server, replies, cli = panel
    text = NOTICES["plain"] + "\ufeff" + json.dumps({"order": 23501})
    replies["add"] = encoded(None, "utf-8", text=text)
    assert_added_once(server, cli(*ADD), tmp_path, 23501)


def test_status_reads_an_answer_with_a_bom_after_php_notices(panel, tmp_path):
    server, replies, cli = panel
    answer = {"7": {"status": "In progress", "remains": "40", "charge": "0.1"}, "8": "Completed"}
    text = NOTICES["html"] + "\ufeff" + json.dumps(answer)
    replies["status"] = encoded(None, "utf-8", text=text)
    assert_polled_once(server, cli, tmp_path)


# A no-break space (or a zero-width one) an editor left before "<?php" is
# printed before the JSON: Python's JSON reads none of them as a blank, and
# an add so answered was "outcome unknown ... answered invalid JSON: {"order":
# 23501}", its order placed and not tracked; every status call failed.
INVISIBLE = {"no-break space": "\u00a0", "zero-width space": "\u200b", "word joiner": "\u2060"}


@pytest.mark.parametrize("blank", sorted(INVISIBLE))
def test_add_reads_an_answer_behind_an_invisible_blank(panel, tmp_path, blank):
    server, replies, cli = panel
    text = INVISIBLE[blank] + json.dumps({"order": 23501})
    replies["add"] = Reply(text.encode(), headers={"Content-Type": "application/json"})
    assert_added_once(server, cli(*ADD), tmp_path, 23501)


@pytest.mark.parametrize("blank", sorted(INVISIBLE))
def test_add_reads_an_answer_followed_by_an_invisible_blank(panel, tmp_path, blank):
    server, replies, cli = panel
    text = json.dumps({"order": 23501}) + INVISIBLE[blank] + "\n"
    replies["add"] = Reply(text.encode(), headers={"Content-Type": "application/json"})
    assert_added_once(server, cli(*ADD), tmp_path, 23501)


@pytest.mark.parametrize("blank", sorted(INVISIBLE))
def test_an_invisible_blank_after_the_json_after_notices_is_read_past(blank):
    body = (NOTICES["plain"] + '{"order": 23501}' + INVISIBLE[blank]).encode()
    assert decode_json(body) == {"order": 23501}


@pytest.mark.parametrize("blank", sorted(INVISIBLE))
def test_status_reads_an_answer_behind_an_invisible_blank_after_notices(panel, tmp_path, blank):
    server, replies, cli = panel
    answer = {"7": {"status": "In progress", "remains": "40", "charge": "0.1"}, "8": "Completed"}
    text = NOTICES["plain"] + INVISIBLE[blank] + json.dumps(answer)
    replies["status"] = Reply(text.encode(), headers={"Content-Type": "text/html"})
    assert_polled_once(server, cli, tmp_path)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_words_without_json_are_said_as_words(codec):
    # Words alone (no "{", "[" or "<") behind a UTF-16 mark were read as
    # UTF-8, a NUL beside every letter: "answered invalid JSON: S\x00e\x00r...".
    mark = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    with pytest.raises(BadAnswerError, match=r"answered invalid JSON: Service Unavailable\Z"):
        decode_json(mark + "Service Unavailable".encode(codec))


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_a_key_in_utf32_a_byte_out_of_step_never_reaches_the_output(tmp_path, monkeypatch, codec):
    # A stray byte before the key in a UTF-32 body: what follows does not
    # decode, the body is read as its bytes are, and the error said "answered
    # invalid JSON: {\x00\x00\x00..." with the key's UTF-32 in it, three NULs
    # between its letters.
    key = "Ab3dE9xZ"
    mark = codecs.BOM_UTF32_LE if codec.endswith("le") else codecs.BOM_UTF32_BE
    tail = '", "hint": "check the key in your settings"}'.encode(codec)
    body = '{"error": "bad key '.encode(codec) + b"x" + key.encode(codec) + tail
    with scripted_panel(tmp_path, monkeypatch, key) as (_server, replies, cli):
        replies["add"] = Reply(mark + body, headers={"Content-Type": "text/html"})
        result = cli(*ADD)
    assert "invalid JSON" in result.output and "***" in result.output, result.output
    assert key not in result.output.replace("\x00", "").replace("\\x00", ""), result.output

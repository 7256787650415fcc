"""The key echoed by a panel that escapes part of it, or hides invisible
characters in it, is blanked all the same; and what no terminal shows is
shown escaped. Found by QA with the key below: `key=Qa/Key+7f3A9b=C2dE5\\u0026gH1z`
(a status JSON-encoded twice, or by PHP with JSON_HEX_AMP) and the key with
U+200B between its characters were stored and printed as they came."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata

import pytest
from hostile import text_reply
from simconfig import scripted_panel

from tracker.cli.render import table, to_json
from tracker.redact.scrub import redact_text, register_secret, scrub, scrub_bytes
from tracker.terminal import escape_controls

KEY = "Qa/Key+7f3A9b=C2dE5&gH1z"
HEX_KEY = "9f3a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"


def escaped(text: str, chosen: str, spell: str = "\\u{:04x}") -> str:
    """``text`` with each character in ``chosen`` written as a JSON escape."""
    return "".join(spell.format(ord(c)) if c in chosen else c for c in text)


# How a panel writes the key as literal text: JSON-encoded twice (then decoded
# once), or with PHP's JSON_HEX_AMP/TAG/APOS/QUOT flags, escaped slashes.
PARTLY_ESCAPED = [
    ("key=Qa/Key+7f3A9b=C2dE5\\u0026gH1z", "key=***"),
    ("key: Qa\\/Key+7f3A9b=C2dE5\\u0026gH1z end", "key: *** end"),
    ("key='Qa/Key+7f3A9b=C2dE5\\u0026gH1z'", "key='***'"),
    ("Qa/Key\\u002b7f3A9b=C2dE5&gH1z", "***"),
    ("(" + escaped(KEY, "/+=&", "\\u{:04X}") + ")", "(***)"),  # upper-case hex
    (escaped(KEY, "Qy7Ab2E&g").replace("/", "\\/"), "***"),
    ("k " + escaped(KEY, KEY[::2]) + " k", "k *** k"),  # every other character
    ("see " + escaped(KEY.upper(), "&") + ".", "see ***."),  # and upper-cased
]


@pytest.mark.parametrize(("echoed", "blanked"), PARTLY_ESCAPED)
def test_a_key_partly_json_escaped_as_literal_text_is_blanked(echoed, blanked):
    assert scrub(echoed, [KEY]) == blanked
    register_secret(KEY)
    assert redact_text(echoed) == blanked
    # In a raw answer: a literal holding that text (json_encode twice).
    for ascii_only in (True, False):
        body = json.dumps({"7": {"status": echoed}}, ensure_ascii=ascii_only).encode()
        assert json.loads(scrub_bytes(body, [KEY]))["7"]["status"] == blanked


INVISIBLE_KEYS = [
    "\u200b".join(KEY),  # zero-width space between every character
    "\u2060".join(KEY),  # word joiner
    KEY[:5] + "\u00ad" + KEY[5:],  # soft hyphen
    KEY[:3] + "\u200c\u200d" + KEY[3:12] + "\u200e" + KEY[12:],  # joiners, LRM
    "\ufeff".join(KEY.upper()),
    "\U000e0020".join(HEX_KEY[:8]) + HEX_KEY[8:],  # tag characters
]


@pytest.mark.parametrize("hidden", INVISIBLE_KEYS, ids=range(len(INVISIBLE_KEYS)))
def test_a_key_with_invisible_characters_inside_is_blanked(hidden):
    secret = HEX_KEY if HEX_KEY[8:] in hidden else KEY
    text = f"Held\u200b for key {hidden}\u200b (try again)"
    assert scrub(text, [secret]) == "Held\u200b for key ***\u200b (try again)"
    register_secret(secret)
    assert redact_text(text) == "Held\u200b for key ***\u200b (try again)"
    for ascii_only in (True, False):  # "\u200b" in a literal, or the character itself
        body = json.dumps({"error": text}, ensure_ascii=ascii_only).encode()
        assert json.loads(scrub_bytes(body, [secret])) == {
            "error": "Held\u200b for key ***\u200b (try again)"
        }
    # Written as escapes or entities: a zero-width space is "\u200b" or "&#8203;".
    assert scrub(escaped(hidden, "\u200b\u2060\u00ad"), [secret]) == "***"
    assert scrub(hidden.replace("\u00ad", "&shy;").replace("\u200b", "&#8203;"), [secret]) == "***"
    assert scrub_bytes(f"<p>{hidden}</p>".encode(), [secret]) == b"<p>***</p>"


@pytest.mark.parametrize(
    "text",
    [
        "Выполнен частично — 400 из 1000 ✓",
        "family 👨\u200d👩\u200d👧 order \u200ba/Key+7f3A9b=C2dE5&gH\u00ad",  # no end of it
        "path C:\\new\\table\\u0026 \\/x \\\\u0051a/Key+7f3A9b=C2dE5&gH1",  # \\ is one
        "Qa%2FKey%252B7f3A9b",
    ],
)
def test_text_without_the_key_is_left_as_it_was(text):
    assert scrub(text, [KEY]) == text
    assert scrub_bytes(text.encode(), [KEY]) == text.encode()


def test_a_key_url_encoded_twice_is_blanked():
    # A PHP panel's urlencode() of the form body it got: %2F is then %252F.
    for twice in (
        "Qa%252FKey%252B7f3A9b%253DC2dE5%2526gH1z",
        "Qa%252fkey%252b7F3a9B%253dc2De5%2526Gh1Z",
    ):
        assert scrub(f"sent key={twice}&x=1", [KEY]) == "sent key=***&x=1"
        assert scrub_bytes(f"key={twice}".encode(), [KEY]) == b"key=***"
    assert scrub("key=Qa/Key%252B7f3A9b%253DC2dE5%2526gH1z", [KEY]) == "key=***"


# --- what a terminal is shown ------------------------------------------------

FORMAT = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]


def test_every_format_character_is_shown_escaped_in_a_table_and_in_json():
    text = "a" + "".join(FORMAT) + "b"
    shown = escape_controls(text)
    assert shown.startswith("a\\xad\\u0600") and "\\u200b" in shown and "\\U000e0020" in shown
    assert not set(shown) - set("abcdefuxU0123456789\\")
    rows = [{"status": "Q\u200ba\u00ad/\u2060K"}]
    assert table(rows, ["status"]).splitlines()[1] == "Q\\u200ba\\xad/\\u2060K"
    shown = to_json({"status": text})
    assert shown.isascii() and json.loads(shown) == {"status": text}


# --- through the real CLI ----------------------------------------------------


def traces(text: str) -> str:
    """``text`` as a reader sees it: escapes decoded, invisible characters out."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    text = text.replace("\\/", "/")
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def test_a_panel_echoing_the_key_escaped_or_hidden_never_gets_it_stored_or_shown(
    tmp_path, monkeypatch
):
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_server, replies, cli):
        answer = {
            "7": {"status": "Held: key=Qa\\/Key+7f3A9b=C2dE5\\u0026gH1z", "remains": "5"},
            "8": {"status": "Held: key " + "\u200b".join(KEY), "remains": "5"},
            "9": {"status": f"Held: key {KEY[:9]}\u00ad{KEY[9:]}", "remains": "5"},
        }
        replies["status"] = text_reply(json.dumps(answer, ensure_ascii=False))
        assert cli("track", "7", "8", "9").exit_code == 0
        ran = cli("run", "--once", "--all")
        assert ran.exit_code == 0, ran.output
        shown = [ran.output]
        for args in (["orders"], ["orders", "--json"], ["history", "7"], ["history", "8"]):
            result = cli(*args)
            assert result.exit_code == 0, result.output
            shown.append(result.output)
        shown.append(cli("alerts", "--json").output)
    with sqlite3.connect(tmp_path / "t.db") as db:
        statuses = db.execute("SELECT status, raw_status FROM orders ORDER BY order_id").fetchall()
        stored = [str(row) for row in db.execute("SELECT * FROM transitions")]
        stored += [str(row) for row in db.execute("SELECT * FROM alerts")]
    assert statuses == [("Held: key=***", "Held: key=***")] + [("Held: key ***",) * 2] * 2
    for text in shown + stored:
        assert "7f3A9b" not in traces(text) and "C2dE5" not in traces(text)
    assert "Held: key=***" in shown[1]

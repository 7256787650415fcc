"""The API key echoed in part: most of it (but one end, in plain ASCII), or
cut by a stray byte in a UTF-16 answer (one half read in step, the other a
byte out of step, as CJK). Through the real client: what reaches the log,
the alert and the database."""

from __future__ import annotations

import base64
import json
import sqlite3
from urllib.parse import quote

import pytest
from hostile import Reply
from simconfig import scripted_panel

from tracker.redact.scrub import scrub, scrub_bytes

LONG_KEY = "hostile-key-OneByte5Kq8"  # 23 characters
PANEL_KEY = "9f3c1a7be24d4c08a61e5b3f7d92c4e1"  # 32: a real panel's
SHORT_KEY = "Ab3dE9xZ"  # 8 characters: real panels issue such keys too


def _run_status(tmp_path, monkeypatch, key: str, body: bytes) -> tuple[str, str, str]:
    """Run a status call of orders 7 and 8 answered with ``body``; return the
    run's stderr, a dump of the database and order 7's stored status."""
    with scripted_panel(tmp_path, monkeypatch, key) as (_server, replies, cli):
        replies["status"] = Reply(body, headers={"Content-Type": "text/html"})
        assert cli("track", "7", "8").exit_code == 0
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
        status = db.execute("SELECT status FROM orders WHERE order_id = 7").fetchone()[0]
    return run.stderr, dump, status


def moved(text: str) -> str:
    """``text``'s UTF-16 read a byte out of step: each character a byte up."""
    return "".join(chr(ord(char) << 8) for char in text)


STATUS_AROUND = ('{"7": {"status": "key ', '", "remains": "5"}, "8": "Completed"}')


def stray_byte_cut(key: str, half: int, codec: str, before: str, after: str) -> bytes:
    """``before``, ``key`` and ``after`` in UTF-16, with a stray byte after the
    key's first ``half`` characters and another after the key putting the
    text back in step: read so, the key's rest is a byte out of step, as CJK."""
    cut = (key[:half].encode(codec), b"z", key[half:].encode(codec), b"y")
    return b"".join((before.encode(codec), *cut, after.encode(codec)))


@pytest.mark.parametrize("key", [LONG_KEY, PANEL_KEY], ids=["23 characters", "32 characters"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_stray_byte_inside_the_key_in_a_utf16_answer_leaves_neither_half(
    tmp_path, monkeypatch, key, codec
):
    # A stray byte in the middle of the key's UTF-16 (another after it puts
    # the answer back in step): its first half read as it is, its second a
    # byte out of step, as CJK ("k" as U+6B00). The first half was blanked,
    # the second went to the unknown_status line and the stored status.
    half = len(key) // 2
    mark = b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff"
    body = mark + stray_byte_cut(key, half, codec, *STATUS_AROUND)
    stderr, dump, status = _run_status(tmp_path, monkeypatch, key, body)
    assert "unknown_status" in stderr and "***" in status, (stderr, status)
    for start in range(len(key) - 7):  # no 8 characters of it, read either way
        for piece in (key[start : start + 8], moved(key[start : start + 8])):
            assert piece not in stderr and piece not in dump, piece


@pytest.mark.parametrize("key", [SHORT_KEY, "Ab3dE9xZq7Lm"], ids=["8 characters", "12"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("half", [4, 5])
def test_a_stray_byte_inside_a_short_key_in_a_utf16_answer_leaves_neither_half(
    tmp_path, monkeypatch, key, codec, half
):
    # Both halves under 8 characters: neither was blanked, the status read
    # "key Ab3d" and then the rest of the key in the high bytes of CJK.
    mark = b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff"
    body = mark + stray_byte_cut(key, half, codec, *STATUS_AROUND)
    stderr, dump, status = _run_status(tmp_path, monkeypatch, key, body)
    assert "unknown_status" in stderr and status.startswith("key ***"), (stderr, status)
    for piece in (key[:half], moved(key[half + 1 : -1])):
        assert piece not in stderr and piece not in dump, piece


@pytest.mark.parametrize("key", [SHORT_KEY, "Ab3dE9xZq7Lm", PANEL_KEY])
@pytest.mark.parametrize("end", ["last", "first"])
def test_the_key_but_one_end_in_plain_ascii_is_blanked(tmp_path, monkeypatch, key, end):
    # "key Ab3dE9x" for the key "Ab3dE9xZ": under 16 characters nothing was
    # blanked, a reader of the log learnt all of it but one character.
    rest = key[:-1] if end == "last" else key[1:]
    body = ('{"7": {"status": "key ' + rest + '", "remains": "5"}, "8": "Completed"}').encode()
    stderr, dump, status = _run_status(tmp_path, monkeypatch, key, body)
    assert status == "key ***", status
    assert "unknown_status" in stderr and rest not in stderr and rest not in dump


def test_the_key_but_one_end_is_blanked_from_any_text_and_its_pieces_are_not():
    key = SHORT_KEY
    assert scrub(f"said {key[:-1]} and {key[1:].upper()}!", [key]) == "said *** and ***!"
    assert scrub_bytes(b'{"error": "key ' + key[1:].encode() + b'"}', [key]) == (
        b'{"error": "key ***"}'
    )
    # Two characters short of the key, or its middle: a word, no key.
    kept = f"{key[:-2]} {key[2:]} {key[1:-1]}"
    assert scrub(kept, [key]) == kept


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("end", ["last", "first"])
def test_the_key_but_one_end_in_a_body_read_as_its_bytes_is_blanked(
    tmp_path, monkeypatch, codec, end
):
    # A UTF-32 answer a byte out of step is read as its bytes: the key but
    # one end in it, three NULs between its letters, went to add's "answered
    # invalid JSON: {\x00\x00\x00..." as it was.
    rest = SHORT_KEY[:-1] if end == "last" else SHORT_KEY[1:]
    mark = b"\xff\xfe\x00\x00" if codec.endswith("le") else b"\x00\x00\xfe\xff"
    tail = '", "hint": "check the key in your settings"}'.encode(codec)
    body = mark + '{"error": "bad key '.encode(codec) + b"x" + rest.encode(codec) + tail
    with scripted_panel(tmp_path, monkeypatch, SHORT_KEY) as (_server, replies, cli):
        replies["add"] = Reply(body, headers={"Content-Type": "text/html"})
        result = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
    assert "invalid JSON" in result.output and "***" in result.output, result.output
    assert rest not in result.output.replace("\x00", "").replace("\\x00", ""), result.output


@pytest.mark.parametrize("secret", ["/webhooks", "webhooks", "https://x.test/webhook"])
def test_a_secret_that_reads_as_a_word_or_a_path_is_not_blanked_but_one_end(secret):
    # A webhook URL's path is a secret: itself but one end is a word every
    # log line may hold ("webhook" in "alerts.webhook_url"), kept.
    text = "alerts.webhook_url failed: see https://x.test/webhoo"
    assert scrub(text, [secret]) == text
    assert scrub("key Ab3dE9x and AbcdEfg", ["Ab3dE9xZ", "AbcdEfgh"]) == "key *** and ***"


CODED_KEY = "Ab3d/E9xZ+q7Lm"  # 14 characters, two of them percent-encoded


@pytest.mark.parametrize("key", [CODED_KEY, PANEL_KEY], ids=["14 characters", "32"])
@pytest.mark.parametrize("end", ["last", "first"])
@pytest.mark.parametrize(
    "encode",
    [
        lambda rest: quote(rest, safe=""),
        lambda rest: rest.encode().hex(),
        lambda rest: ":".join(f"{byte:02x}" for byte in rest.encode()),
        lambda rest: "".join(f"\\x{byte:02x}" for byte in rest.encode()),
        lambda rest: base64.b64encode(rest.encode()).decode(),
    ],
    ids=["url-encoded", "hex", "hex with colons", "C escapes", "base64"],
)
def test_the_key_but_one_end_encoded_is_blanked(tmp_path, monkeypatch, key, end, encode):
    # The whole key was blanked in each of these forms; it but one end went
    # to the unknown_status line and the stored status as it was.
    written = encode(key[:-1] if end == "last" else key[1:])
    body = json.dumps({"7": {"status": f"key {written}", "remains": "5"}, "8": "Completed"})
    stderr, dump, status = _run_status(tmp_path, monkeypatch, key, body.encode())
    assert status == "key ***", status
    assert "unknown_status" in stderr and written not in stderr and written not in dump

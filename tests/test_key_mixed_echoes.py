"""The key as a hostile panel may echo it beyond its usual forms: some of
its characters percent-encoded where an encoder leaves them, or cut by PHP
notices three times, its two ends too short to be pieces. Through the real
client: what reaches the log, the output and the database."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import Reply
from simconfig import scripted_panel

from tracker.redact.scrub import redact_text, register_secret, scrub, scrub_bytes

KEY = "Hq7/Zp2+Wd9Lx4Vb8Nc3Kt6Rm1Qs5YjA"  # 32 characters, as a panel's
NOTICE = "<br />\n<b>Warning</b>:  Undefined index: id on line <b>3</b><br />\n"


def _echoed(tmp_path, monkeypatch, written: str) -> str:
    """Run `run --once` of orders 7 and 8 against a panel whose status answer
    quotes ``written`` in a PHP notice before its JSON, and whose cancel
    answer is an error holding it; return everything the runs printed and a
    dump of the database."""
    body = f"<b>Notice</b>: key {written}\n" + '{"7": {"status": "In progress"}, "8": "x"}'
    refusal = '{"error": "Invalid API key ' + written.replace("\n", "\\n") + '"}'
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_server, replies, cli):
        replies["status"] = Reply(body.encode(), headers={"Content-Type": "text/html"})
        replies["cancel"] = Reply(refusal.encode())
        assert cli("track", "7", "8").exit_code == 0
        runs = [
            cli("--log-level", "debug", "run", "--once", "--all"),
            cli("--log-format", "json", "run", "--once", "--all"),
            cli("cancel", "--yes", "7"),
        ]
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
    printed = "\n".join(run.stdout + run.stderr for run in runs)
    assert "panel_prints_notices" in printed and "***" in printed, printed
    return printed + dump


def _percent(text: str, every: int) -> str:
    return "".join(f"%{ord(c):02X}" if i % every == 0 else c for i, c in enumerate(text))


@pytest.mark.parametrize("every", [2, 3], ids=["every other", "every third"])
def test_the_key_percent_encoded_in_part_is_blanked(tmp_path, monkeypatch, every):
    # "%48q%37/%5Ap2%2BW..." (letters and digits encoded too, as no
    # encoder's forms do) went to panel_prints_notices, the cancel's error
    # and cancels.error as it was: the key, decoded once.
    written = _percent(KEY, every)
    seen = _echoed(tmp_path, monkeypatch, written)
    assert written not in seen and written.lower() not in seen.lower()


def test_a_key_percent_encoded_in_part_in_any_text_is_blanked():
    written = _percent(KEY, 2)
    register_secret(KEY)
    for text in (f"key={written}&x=1", f"key={written.lower()}&x=1"):
        assert scrub(text, [KEY]) == redact_text(text) == "key=***&x=1"
        assert scrub_bytes(text.encode(), [KEY]) == b"key=***&x=1"
    kept = "100% done, 50%off %41"
    assert scrub(kept, [KEY]) == redact_text(kept) == kept


def test_a_key_cut_three_times_its_ends_short_leaves_no_piece(tmp_path, monkeypatch):
    # Cut by two notices 6 characters from each end: neither the key's
    # first 8 characters nor its last 8 were in the answer, so its middle
    # 20 were kept in every log line and row quoting the notices.
    middle = KEY[6:26]
    seen = _echoed(tmp_path, monkeypatch, KEY[:6] + NOTICE + middle + NOTICE + KEY[26:])
    for piece in (middle, middle[:11], middle[-11:]):
        assert piece not in seen and piece.lower() not in seen.lower()


def _mixed(code, every: int = 2) -> str:
    return "".join(code(c) if i % every == 0 else c for i, c in enumerate(KEY))


LAYERED = {
    "entities without ';'": "".join(f"&#{ord(c)}" for c in KEY),
    "C escapes in part": _mixed(lambda c: f"\\x{ord(c):02x}"),
    "octal escapes in part": _mixed(lambda c: f"\\{ord(c):03o}"),
    "percent-encoded twice in part": _mixed(lambda c: f"%25{ord(c):02X}"),
    "entities of percent-encoding": _mixed(lambda c: f"&#37;{ord(c):02X}"),
    "\\u escapes of percent-encoding": _mixed(lambda c: f"\\u0025{ord(c):02X}"),
    "UTF-16 percent-encoded": "".join(f"%00{c}" for c in KEY),
}


@pytest.mark.parametrize("written", LAYERED.values(), ids=LAYERED.keys())
def test_the_key_in_codes_a_browser_or_a_c_reader_decodes_is_blanked(
    tmp_path, monkeypatch, written
):
    # Each went to panel_prints_notices, the cancel's error and
    # cancels.error as it was: the key, once decoded as a browser (an
    # entity's ";" is optional), a C or PHP reader, or twice, reads it.
    seen = _echoed(tmp_path, monkeypatch, written)
    for shown in (written, written.replace("\\", "\\\\"), written.replace("&", "&amp;")):
        assert shown not in seen and shown.lower() not in seen.lower()
    assert "***" in seen

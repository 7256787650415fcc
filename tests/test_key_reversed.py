"""The key written backwards by a hostile panel (PHP's ``strrev()`` of the
key it got), in a status word and in a refusal: the whole key to anyone who
reads it back, so blanked like the key itself. Through the real client:
what reaches the log, the output and the database."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import Reply
from simconfig import scripted_panel

from tracker.redact.scrub import redact_text, register_secret, scrub, scrub_bytes

KEY = "Hq7/Zp2+Wd9Lx4Vb8Nc3Kt6Rm1Qs5YjA"  # 32 characters, as a panel's
BACKWARDS = KEY[::-1]


def _echoed(tmp_path, monkeypatch, written: str) -> str:
    """Run `run --once` of orders 7 and 8 against a panel whose status
    answer gives order 7 ``written`` for its status word and whose cancel
    answer is an error holding it; return everything the runs printed and
    a dump of the database."""
    body = '{"7": {"status": "Debug ' + written + '"}, "8": {"status": "In progress"}}'
    refusal = '{"error": "Invalid API key ' + written + '"}'
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_server, replies, cli):
        replies["status"] = Reply(body.encode())
        replies["cancel"] = Reply(refusal.encode())
        assert cli("track", "7", "8").exit_code == 0
        runs = [
            cli("--log-level", "debug", "run", "--once", "--all"),
            cli("orders", "--all"),
            cli("doctor"),
            cli("cancel", "--yes", "8"),
        ]
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
    printed = "\n".join(run.stdout + run.stderr for run in runs)
    assert "unknown_status" in printed and "Debug ***" in printed, printed
    return printed + dump


@pytest.mark.parametrize(
    "written", [BACKWARDS, BACKWARDS.lower(), BACKWARDS.upper()], ids=["as is", "lower", "upper"]
)
def test_the_key_written_backwards_never_reaches_the_log_output_or_database(
    tmp_path, monkeypatch, written
):
    # 'Debug AjY5sQ1mR6tK3cN8bV4xL9dW+2pZ/7qH' was order 7's status in
    # orders, transitions, the unknown_status line and alert, `orders`,
    # doctor's warning and the cancel's refusal: the key, read from the end.
    seen = _echoed(tmp_path, monkeypatch, written)
    assert BACKWARDS.lower() not in seen.lower()
    assert KEY.lower() not in seen.lower()


def test_the_key_backwards_in_any_text_is_blanked_and_a_word_backwards_is_not():
    register_secret(KEY)
    for text in (f"echo {BACKWARDS} end", f"echo {BACKWARDS.lower()} end"):
        assert scrub(text, [KEY]) == redact_text(text) == "echo *** end"
        assert scrub_bytes(text.encode(), [KEY]) == b"echo *** end"
    # a secret that reads as a word or a path is not blanked backwards
    # (nor but one end): "koobhew" is no echo of "webhook"
    assert scrub("koobhew skoobhew", ["webhook"]) == "koobhew skoobhew"

"""A key holding a word: a test key that begins with a field name of the
answers ("currency", "start_count") has that field read as the panel wrote
it, while the key itself, echoed in any form (cut by a notice too), is
blanked. Through the real client: what reaches the log and the database."""

from __future__ import annotations

import base64
import json
import sqlite3
from urllib.parse import quote

import pytest
from hostile import Reply, json_reply
from simconfig import scripted_panel

from tracker.redact.pieces import blank_pieces

CURRENCY_KEY = "currencyQ7x3/Lm9Vb2+Hk4Zt8"  # a field name first
COUNT_KEY = "start_countQ7x3Lm9Vb2Hk"
NOTICE = "<br />\n<b>Warning</b>:  Undefined index: id on line <b>3</b><br />\n"


def _run(tmp_path, monkeypatch, key: str, **replies: Reply) -> tuple[str, str]:
    """Run `run --once` of order 7 against a panel answering ``replies``;
    return the run's stderr and a dump of the database."""
    tmp_path.mkdir(exist_ok=True)
    with scripted_panel(tmp_path, monkeypatch, key) as (_server, scripted, cli):
        scripted.update(replies)
        assert cli("track", "7").exit_code == 0
        run = cli("--log-level", "debug", "run", "--once", "--all")
    assert run.exit_code == 0, run.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        dump = "\n".join(db.iterdump())
    return run.stderr, dump


def test_a_key_beginning_with_a_field_name_leaves_that_field_of_the_answers(tmp_path, monkeypatch):
    # "currency" of the key "currencyQ7x..." was blanked from every balance
    # answer: the balance was logged and stored with no currency
    # (currency=None); "start_count" of "start_countQ7x..." likewise.
    balance = json_reply({"balance": "5.25", "currency": "EUR"})
    status = json_reply({"7": {"status": "In progress", "remains": "5", "start_count": "120"}})
    stderr, dump = _run(tmp_path, monkeypatch, CURRENCY_KEY, balance=balance, status=status)
    assert "balance=5.25 currency=EUR" in stderr, stderr
    assert "***" not in stderr + dump
    stderr, dump = _run(tmp_path / "count", monkeypatch, COUNT_KEY, status=status)
    with sqlite3.connect(tmp_path / "count" / "t.db") as db:
        assert db.execute("SELECT start_count FROM orders").fetchall() == [(120,)]
    assert "***" not in stderr + dump


FORMS = {
    "as it is": lambda key: key,
    "upper-cased": str.upper,
    "url-encoded": lambda key: quote(key, safe=""),
    "\\u escapes": lambda key: "".join(f"\\u{ord(char):04x}" for char in key),
    "base64": lambda key: base64.b64encode(key.encode()).decode(),
    "hex": lambda key: key.encode().hex(),
    "cut after the word": lambda key: key[:8] + NOTICE + key[8:],
    "cut in three": lambda key: key[:8] + NOTICE + key[8:16].upper() + NOTICE + key[16:],
    "cut inside the word": lambda key: key[:5] + NOTICE + key[5:],
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_the_key_beginning_with_a_field_name_is_blanked_when_echoed(tmp_path, monkeypatch, form):
    # Beside its "currency" field, read as ever, the key a PHP notice echoes
    # is blanked in each form, every piece of it cut by notices too.
    written = form(CURRENCY_KEY)
    body = f"<b>Notice</b>: key {written}\n" + json.dumps({"balance": "5.25", "currency": "EUR"})
    balance = Reply(body.encode(), headers={"Content-Type": "text/html"})
    status = json_reply({"7": {"status": "In progress", "remains": "5"}})
    stderr, dump = _run(tmp_path / "run", monkeypatch, CURRENCY_KEY, balance=balance, status=status)
    assert "balance=5.25 currency=EUR" in stderr, stderr
    assert "panel_prints_notices" in stderr and "***" in stderr, stderr
    notices = [line for line in stderr.splitlines() if "panel_prints_notices" in line]
    for piece in {written, *written.split(NOTICE)} - {CURRENCY_KEY[:5]}:  # 5: no key
        assert piece not in notices[0], piece
    assert CURRENCY_KEY[8:].lower() not in (stderr + dump).lower()


def test_a_piece_of_a_key_that_reads_as_a_word_is_blanked_only_as_part_of_the_key():
    key = "currencyQ7x3Lm9Vb2Hk4Zt8"
    kept = b'{"balance": "5.25", "currency": "EUR", "CURRENCY": "x"}'
    assert blank_pieces(kept, key) == kept
    # The word then the rest of the key, anything between: the key cut.
    cut = b'{"currency": "EUR"} key currency<br />Q7x3Lm9Vb2Hk4Zt8 {"currency": 1}'
    assert blank_pieces(cut, key) == b'{"currency": "EUR"} key ***<br />*** {"currency": 1}'
    cut = b'{"currency": "EUR"} key currency<br />q7X3LM9V<br />b2Hk4Zt8'
    assert blank_pieces(cut, key) == b'{"currency": "EUR"} key ***<br />***<br />***'
    # A piece holding more than the word, or 16 characters long, alone: the key
    # (where the answer holds its first or last 8 characters).
    for piece in (b"currencyQ7", b"b2Hk4Zt8"):
        assert blank_pieces(b"<b>Notice</b>: " + piece + b"<br />", key) == (
            b"<b>Notice</b>: ***<br />"
        ), piece
    words = "currencyservicesQ7x3Lm9V"  # 16 characters of words: no chance reading
    assert blank_pieces(b'{"currencyservices": 1}', words) == b'{"***": 1}'

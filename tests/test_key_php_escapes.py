"""The key echoed by a PHP panel through its escaping functions, for a key
holding ``&<>"'`` (the key is whatever the user put in key_env):
htmlspecialchars() twice or thrice (``&amp;amp;``, ``&amp;#039;``),
addslashes() once or twice (``\\'``, ``\\\\\\'``: magic quotes then
addslashes), htmlspecialchars() of addslashes(), urlencode() of
htmlspecialchars(), a quote doubled as SQL and CSV write one, base64 of
htmlspecialchars() (ENT_QUOTES or ENT_COMPAT), escapeshellarg()'s ``'\\''``
for a quote, strip_tags() taking ``<9Pw>`` out of it; and the key
cut short (a VARCHAR(16) column, ``substr()``: its first or last 16
characters or more), for that key and one of letters and digits. Through a
hostile panel on loopback and the real CLI: in a status answer (`run
--once`, then the database's bytes and every line printed) and in a refusal
(`services --refresh`'s error line); no form left anywhere."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from collections.abc import Callable
from urllib.parse import quote_plus

import pytest
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import scripted_panel

from tracker.redact.pieces import blank_pieces
from tracker.redact.scrub import scrub, scrub_bytes

KEY = "Zq7&Kx<9Pw>Lm\"Rt'4Vb8Nc3HsJ2"  # 28 characters: & < > " ' among them
PLAIN_KEY = "k3Y9aB7xQ2mN5pR8tV1wZ4cE6gH0jL3s"  # 32 letters and digits


def htmlspecialchars(text: str, quote: str = "&#039;") -> str:
    """PHP's htmlspecialchars() with ENT_QUOTES (8.1's default): ' as &#039;
    (``quote="'"``: ENT_COMPAT, the default before, leaves it)."""
    for char, entity in [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")]:
        text = text.replace(char, entity)
    return text.replace("'", quote)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def addslashes(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')


ESCAPED: dict[str, Callable[[str], str]] = {
    "htmlspecialchars twice": lambda key: htmlspecialchars(htmlspecialchars(key)),
    "htmlspecialchars thrice": lambda key: htmlspecialchars(
        htmlspecialchars(htmlspecialchars(key))
    ),
    "htmlspecialchars twice, &#39;": lambda key: htmlspecialchars(htmlspecialchars(key)).replace(
        "#039;", "#39;"
    ),
    "addslashes": addslashes,
    "addslashes twice": lambda key: addslashes(addslashes(key)),
    "htmlspecialchars of addslashes": lambda key: htmlspecialchars(addslashes(key)),
    "urlencode of htmlspecialchars": lambda key: quote_plus(htmlspecialchars(key)),
    "quotes doubled (SQL)": lambda key: key.replace("'", "''"),
    "quotes doubled (CSV)": lambda key: key.replace('"', '""'),
    "base64 of htmlspecialchars": lambda key: b64(htmlspecialchars(key)),
    "base64 of htmlspecialchars, ENT_COMPAT": lambda key: b64(htmlspecialchars(key, "'")),
    "escapeshellarg (inside its quotes)": lambda key: key.replace("'", "'\\''"),
    "strip_tags": lambda key: re.sub(r"<[^>]*>", "", key),
}
CUT: dict[str, Callable[[str], str]] = {
    "first 16": lambda key: key[:16],
    "first 20": lambda key: key[:20],
    "last 16": lambda key: key[-16:],
    "first 16, htmlspecialchars": lambda key: htmlspecialchars(key[:16]),
}
CASES = [(name, KEY, form(KEY)) for name, form in {**ESCAPED, **CUT}.items()]
CASES += [(f"{name}, letters and digits", PLAIN_KEY, form(PLAIN_KEY)) for name, form in CUT.items()]
IDS = [name for name, _, _ in CASES]


def _seen(tmp_path, monkeypatch, key: str, form: str) -> tuple[bytes, str]:
    """Run `run --once` of orders 7 and 8, order 7's status answered with
    ``form`` in its words, then `services --refresh` refused in words holding it;
    return the database's bytes and every line printed."""
    status = json.dumps({"7": {"status": f"Debug {form} end"}, "8": {"status": "In progress"}})
    with scripted_panel(tmp_path, monkeypatch, key) as (_server, replies, cli):
        replies["status"] = Reply(status.encode())
        assert cli("track", "7", "8").exit_code == 0
        runs = [cli("--log-level", "debug", "run", "--once", "--all"), cli("orders", "--all")]
        replies["services"] = json_reply({"error": f"Invalid API key {form} given"}, 403)
        refused = cli("services", "--refresh")
    assert refused.exit_code != 0, refused.output
    assert "Invalid API key *** given" in refused.stderr, refused.stderr
    printed = "\n".join(run.stdout + run.stderr for run in [*runs, refused])
    assert "Debug *** end" in printed, printed
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(path.read_bytes() for path in tmp_path.glob("t.db*")), printed


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize(("name", "key", "form"), CASES, ids=IDS)
def test_no_line_nor_stored_row_holds_the_echoed_key(tmp_path, monkeypatch, name, key, form):
    data, printed = _seen(tmp_path, monkeypatch, key, form)
    for text in {form, key[:16], key[-16:]}:
        assert text.lower() not in printed.lower(), name
        assert text.lower().encode() not in data.lower(), name
    assert "Traceback" not in printed


def _answer(body: bytes, key: str) -> bytes:
    """A panel's answer blanked as the client blanks it (interpret._scrub)."""
    return blank_pieces(scrub_bytes(body, [key]), key)


@pytest.mark.parametrize(("name", "key", "form"), CASES, ids=IDS)
def test_any_text_holding_the_form_is_blanked(name, key, form):
    text = f"echo {form} end"
    assert scrub(text, [key]) == "echo *** end", name
    assert _answer(text.encode(), key) == b"echo *** end", name
    # In a JSON answer, as json_encode() writes it.
    body = json.dumps({"error": text}).encode()
    assert json.loads(_answer(body, key)) == {"error": "echo *** end"}, name


def test_the_key_cut_short_of_16_and_other_text_are_kept():
    # Its first 15 characters, a webhook URL's first characters, words.
    for text in [PLAIN_KEY[:15], "1234567890abcdef", "path C:\\new\\table it''s \\' &amp;amp;"]:
        assert scrub(f"echo {text} end", [PLAIN_KEY]) == f"echo {text} end"
    url = "https://hooks.example.com/services/T000/B000/XXXXXXXX"
    assert scrub(f"see {url[:30]} and {url[-20:]}", [url]) == f"see {url[:30]} and {url[-20:]}"


def test_what_strip_tags_leaves_of_a_key_is_blanked_only_as_a_token():
    # Left short, or a word: ordinary text may hold it.
    for key, left in [
        ("<script>alert</script>x1", "alertx1"),
        ("password<b>words</b>", "password"),
    ]:
        assert scrub(f"echo {left} end", [key]) == f"echo {left} end"
    # A tag at its end, or one left open, taken out: the rest of a token.
    assert scrub("echo Ab3dE9xZq7L2 end", ["Ab3dE9xZq7L2<br>"]) == "echo *** end"
    assert scrub("echo Ab3dE9xZq7L2 end", ["Ab3dE9xZq7L2<x9Pw"]) == "echo *** end"

"""The key echoed by a hostile panel in the encodings a hostile-panel walk
found still reaching the log and the database: with one separator between
each of its characters (``k-3-y-...``, ``k.3.y``, ``k_3_y``), ROT13 of it,
base64 of its base64, its bytes as a decimal list (``107,51,121,...``,
``[107, 51, 121, ...]``) and quoted-printable hex (``=6B=33=79...``).
Through the real client (the status read, the refusal's exception, the
events logged) and the CLI (`run --once`, then the database's bytes)."""

from __future__ import annotations

import base64
import codecs
import json
import sqlite3

import httpx
import pytest
from hostile import Reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import scripted_panel
from structlog.testing import capture_logs
from test_client import KEY as CLIENT_KEY
from test_client import FakePanel, make_client

from tracker.errors import AuthError
from tracker.redact.scrub import redact_text, register_secret, scrub, scrub_bytes

KEY = "Hq7/Zp2+Wd9Lx4Vb8Nc3Kt6Rm1Qs5YjA"  # 32 characters, as a panel's


def written(key: str) -> dict[str, str]:
    """Each form of ``key`` the walk found kept, by name."""
    raw = key.encode()
    numbers = [str(byte) for byte in raw]
    return {
        "dashes": "-".join(key),
        "dots": ".".join(key),
        "underscores": "_".join(key),
        "pipes upper": "|".join(key.upper()),
        "rot13": codecs.encode(key, "rot13"),
        "rot13 lower": codecs.encode(key, "rot13").lower(),
        "base64 of base64": base64.b64encode(base64.b64encode(raw)).decode(),
        "base64 of base64 unpadded": base64.b64encode(base64.b64encode(raw)).decode().rstrip("="),
        "decimal list": ",".join(numbers),
        "decimal list spaced": "[" + ", ".join(numbers) + "]",
        "quoted-printable": "".join(f"={byte:02X}" for byte in raw),
        "quoted-printable lower": "".join(f"={byte:02x}" for byte in raw),
    }


CLIENT_FORMS = written(CLIENT_KEY)
FORMS = written(KEY)


def blanked(name: str) -> str:
    """What the form named is left as: its brackets kept around a list."""
    return "[***]" if name == "decimal list spaced" else "***"


def _answer(data: object, code: int = 200) -> httpx.Response:
    return httpx.Response(code, content=json.dumps(data).encode())


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize("name", list(CLIENT_FORMS))
def test_the_client_keeps_the_form_out_of_a_status_an_error_and_the_log(name):
    form = CLIENT_FORMS[name]
    status = _answer({"7": {"status": f"Debug {form}"}, "8": {"status": "In progress"}})
    refusal = _answer({"error": f"Invalid API key {form}"}, 403)
    with capture_logs() as logs:
        read = make_client(FakePanel(status), [], retries=0).statuses([7, 8])
        with pytest.raises(AuthError) as refused:
            make_client(FakePanel(refusal), [], retries=0).statuses([7, 8])
    assert read[7].status == f"Debug {blanked(name)}", read[7]
    assert str(refused.value).endswith(f"Invalid API key {blanked(name)}"), str(refused.value)
    seen = repr(read) + str(refused.value) + repr(logs)
    assert form.lower() not in seen.lower()


def _dumped(tmp_path, monkeypatch, form: str, mark: str) -> bytes:
    """Run `run --once` of order 7 against a panel whose status answer gives
    ``form`` in its status word; return the database's bytes and all printed."""
    body = '{"7": {"status": "Debug ' + form + '"}, "8": {"status": "In progress"}}'
    with scripted_panel(tmp_path, monkeypatch, KEY) as (_server, replies, cli):
        replies["status"] = Reply(body.encode())
        assert cli("track", "7", "8").exit_code == 0
        runs = [cli("--log-level", "debug", "run", "--once", "--all"), cli("orders", "--all")]
    printed = "\n".join(run.stdout + run.stderr for run in runs)
    assert f"Debug {mark}" in printed, printed
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = b"".join(path.read_bytes() for path in tmp_path.glob("t.db*"))
    return data + printed.encode()


@pytest.mark.parametrize("name", list(FORMS))
def test_run_once_keeps_the_form_out_of_the_database_and_output(tmp_path, monkeypatch, name):
    form = FORMS[name]
    seen = _dumped(tmp_path, monkeypatch, form, blanked(name)).lower()
    assert form.lower().encode() not in seen


def test_any_text_holding_a_form_is_blanked_and_ordinary_text_is_kept():
    register_secret(KEY)
    for name, form in FORMS.items():
        text, left = f"echo {form} end", f"echo {blanked(name)} end"
        assert scrub(text, [KEY]) == redact_text(text) == left, form
        assert scrub_bytes(text.encode(), [KEY]) == left.encode(), form
    kept = [
        "1.2.3.4.5.6.7.8.9.10 a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p",  # separated, no key
        "orders=107,51,121,83 ids [1, 2, 3] =3D=20 q.e.d.",
        "r-e-a-d-m-e t_h_e_e_n_d",
    ]
    for text in kept:
        assert scrub(text, [KEY]) == redact_text(text) == text
        assert scrub_bytes(text.encode(), [KEY]) == text.encode()


def test_a_word_like_or_short_secret_is_not_looked_for_so():
    # A secret that reads as a word ("password") or a 1-3 character key
    # blanks none of these: ROT13 of a word or a word spelt out is a word.
    for secret, text in [
        ("password", "p-a-s-s-w-o-r-d cnffjbeq"),
        ("abc", "a-b-c a.b.c nop"),
    ]:
        assert scrub(text, [secret]) == text


def test_separators_of_two_characters_and_a_short_key_spaced_out_are_blanked():
    # PHP's json_encode() writes "k/3/y" as k\/3\/y in a raw answer, which was
    # stored as k/3/y; ", " between the characters; a key of 8 to 15
    # characters spelt out with spaces (a longer one was blanked already).
    short = "k3yAbc9Q"
    for secret, text in [
        (KEY, "\\/".join(KEY)),
        (KEY, ", ".join(KEY)),
        (KEY, "::".join(KEY.lower())),
        (short, " ".join(short)),
        (short, "-".join(short.upper())),
    ]:
        assert scrub(f"echo {text} end", [secret]) == "echo *** end", text
        assert scrub_bytes(f"echo {text} end".encode(), [secret]) == b"echo *** end", text


def test_separators_that_change_or_hold_a_letter_are_not_looked_for():
    # Where the line is (README): the same separator between every two
    # characters, no letter nor digit in it, one or two characters long
    # (spaces around it aside: taken out as breaks).
    for text in ["-".join(KEY[:20]) + "." + "-".join(KEY[20:]), "x".join(KEY), "-.-".join(KEY)]:
        assert scrub(text, [KEY]) == text
        assert scrub_bytes(text.encode(), [KEY]) == text.encode()


def test_a_spelt_out_key_after_many_of_its_rarest_character_is_blanked():
    # Past 16 places of the character looked for first, the text is searched
    # whole: padding an answer with it hides no separator, of one or two.
    padding = "/" * 40 + " Aj " * 40
    for text in ["-".join(KEY), "\\/".join(KEY)]:
        assert scrub_bytes(f"{padding}{text} end".encode(), [KEY]) == f"{padding}*** end".encode()
        assert scrub(f"{padding}{text} end", [KEY]) == f"{padding}*** end"

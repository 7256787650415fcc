"""Secrets in log lines as the real logging setup writes them: a key cut by a
stray byte in UTF-16 text that reached a log line by another road than a
panel's answer (an exception's text, an alert sender's reply, a proxy's
page), and a secret's partial forms that must not blank ordinary words."""

from __future__ import annotations

import io
import json
import re

import pytest
import structlog
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_key_pieces import moved, stray_byte_cut
from test_redact_base64 import own_secrets  # noqa: F401  (fixture)

from tracker.redact.scrub import register_secret, scrub
from tracker.service.logs import configure

LONG_KEY = "hostile-key-OneByte5Kq8"  # 23 characters
SHORT_KEYS = ["Ab3dE9xZ", "Ab3dE9xZq7Lm"]  # 8 and 12: real panels issue such keys


def _logged(secret: str, **fields: str) -> str:
    """Register ``secret`` as the CLI does, log one error line with ``fields``
    through the daemon's JSON logging, and return the line's fields as read back."""
    register_secret(secret)
    stream = io.StringIO()
    configure("info", "json", stream=stream, cache=False, journal=False)
    structlog.get_logger("tracker.test").error("status_failed", panel="main", **fields)
    return str(json.loads(stream.getvalue().splitlines()[-1]))


def _utf16_cut(key: str, half: int, codec: str) -> str:
    """A UTF-16 text holding ``key`` cut by a stray byte after its first
    ``half`` characters, read as a UTF-16 reader reads it."""
    around = ("proxy said: bad key ", " (check your settings)")
    return stray_byte_cut(key, half, codec, *around).decode(codec, "replace")


@pytest.mark.usefixtures("fresh_logs", "own_secrets")
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_long_key_cut_by_a_stray_byte_is_blanked_from_a_log_line(codec):
    # The panel client blanked it in an answer; in an exception's text, it
    # went to the log as it was: the first half in step, the second as CJK.
    key = LONG_KEY
    line = _logged(key, error=_utf16_cut(key, 11, codec))
    assert "***" in line and "proxy said: bad key" in line, line
    assert key[:8] not in line and moved(key[12:20]) not in line, line


@pytest.mark.usefixtures("fresh_logs", "own_secrets")
@pytest.mark.parametrize("key", SHORT_KEYS)
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("first", ["in step", "out of step"])
def test_a_short_key_cut_by_a_stray_byte_is_blanked_from_a_log_line(key, codec, first):
    # Both halves under 8 characters: neither was blanked, a reader read the
    # key from the plain half and the high bytes of the other.
    half = 4 if first == "in step" else len(key) - 4
    if first == "in step":
        text = _utf16_cut(key, half, codec)
        plain, shifted = key[:half], moved(key[half + 1 :])
    else:  # a stray byte before the key, another putting it back in step
        raw = key.encode(codec)
        cut = (b"z" + raw[: 2 * half] + b"w" + raw[2 * half :]).decode(codec, "replace")
        text = f"proxy said: bad key {cut} (check your settings)"
        plain, shifted = key[half:], moved(key[1 : half - 1])
    line = _logged(key, error=text)
    assert "***" in line and "proxy said: bad key" in line, line
    assert "(check your settings)" in line, line
    assert plain not in line and shifted not in line, line


@pytest.mark.parametrize("half", [1, 2, 6, 7])
def test_a_short_key_cut_anywhere_by_a_stray_byte_is_blanked_and_cjk_text_is_kept(half):
    key = SHORT_KEYS[0]
    for codec in ("utf-16-le", "utf-16-be"):
        text = _utf16_cut(key, half, codec)
        # The byte after the key, read out of step, stays: 0x79 ("y") as U+7900.
        blanked = scrub(text, [key])
        assert re.fullmatch(r"proxy said: bad key \*\*\*\S? \(check your settings\)", blanked)
    # The key's first characters, then CJK text holding some of its others
    # out of step: no key, kept.
    kept = f"order {key[:4]}: 状态 {moved(key[4:6])} 完成 {moved(key[-2:])}"
    assert scrub(kept, [key]) == kept


@pytest.mark.usefixtures("fresh_logs", "own_secrets")
@pytest.mark.parametrize("secret", ["password1", "Password1", "webhooks1"])
def test_a_secret_but_one_end_that_is_a_word_leaves_the_word_in_log_lines(secret):
    # "password1" registered (a webhook token, a notify password) blanked
    # "password" from every log line: its last character, a digit, made it
    # read as a token, cut off it left a word.
    word = secret[:-1].lower()
    line = _logged(secret, error=f"wrong {word}: {word} refused; sent {secret}")
    assert f"wrong {word}: {word} refused; sent ***" in line, line


@pytest.mark.usefixtures("fresh_logs", "own_secrets")
def test_a_secret_but_one_end_that_reads_as_a_token_is_still_blanked():
    line = _logged("Ab3dE9xZ", error="key Ab3dE9x, then b3dE9xZ, then Ab3dE9")
    assert "key ***, then ***, then Ab3dE9" in line, line

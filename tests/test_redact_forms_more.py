"""tracker.redact: forms of the key a hostile panel was found echoing that got
through (each checked with ``scrub("Invalid API key: <form> (see docs)")``):
every byte as a C escape (``\\x6b``, ``\\153``), hex with colons or dashes
between the bytes, hex of the key in UTF-16, base32, the key split by a
no-break space or ``&nbsp;``, grouped by dashes like a licence key, and in
fullwidth letters. Each is blanked by scrub, scrub_bytes (a raw answer body,
UTF-8 or JSON-escaped) and redact_text; and answers holding look-alikes of
those forms (MAC addresses, UUIDs, no-break spaces, fullwidth words) keep
everything but the key."""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Callable

import pytest

from tracker.redact import redact_text, register_secret, scrub, scrub_bytes

KEY = "k3yAbcDef0123456789XyZqwErtY7890"
RAW = KEY.encode()
NBSP = "\u00a0"


def grouped(text: str, between: str, size: int = 4) -> str:
    return between.join(text[at : at + size] for at in range(0, len(text), size))


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def b32(data: bytes, pad: bool = True) -> str:
    coded = base64.b32encode(data).decode()
    return coded if pad else coded.rstrip("=")


# (name, how a panel wrote the key)
FORMS = [
    ("\\x escapes", "".join(f"\\x{b:02x}" for b in RAW)),
    ("\\X escapes, upper-case hex", "".join(f"\\x{b:02X}" for b in RAW)),
    ("octal escapes", "".join(f"\\{b:03o}" for b in RAW)),
]


def scrub_raw(text: str) -> str:
    return scrub_bytes(text.encode(), [KEY]).decode()


def in_json(ascii_only: bool) -> Callable[[str], str]:
    """The text as an error in a raw JSON answer, with its non-ASCII
    characters (and backslashes) JSON-escaped or as they are, read back."""

    def blank(text: str) -> str:
        body = json.dumps({"error": text}, ensure_ascii=ascii_only).encode()
        return json.loads(scrub_bytes(body, [KEY]))["error"]

    return blank


def registered(text: str) -> str:
    register_secret(KEY)
    return redact_text(text)


APIS = [
    ("scrub", lambda text: scrub(text, [KEY])),
    ("scrub_bytes", scrub_raw),
    ("scrub_bytes of JSON, \\u escapes", in_json(True)),
    ("scrub_bytes of JSON, UTF-8", in_json(False)),
    ("redact_text", registered),
]


@pytest.fixture(params=APIS, ids=[name for name, _ in APIS])
def blank(request) -> Callable[[str], str]:
    return request.param[1]


def leaked(result: str, written: str) -> str | None:
    """Return 8 characters in a row of the form, or of the key (fullwidth
    or not), that the result kept."""
    kept = unicodedata.normalize("NFKC", result).lower()
    for text in (written, unicodedata.normalize("NFKC", written), KEY):
        for at in range(len(text) - 7):
            if unicodedata.normalize("NFKC", text[at : at + 8]).lower() in kept:
                return text[at : at + 8]
    return None


@pytest.mark.parametrize("written", [w for _, w in FORMS], ids=[n for n, _ in FORMS])
def test_the_key_in_each_form_is_blanked(blank, written):
    result = blank(f"Invalid API key: {written} (see docs)")
    assert leaked(result, written) is None
    assert result == "Invalid API key: *** (see docs)"

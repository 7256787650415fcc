"""tracker.redact: a secret is blanked in every encoding a panel may echo it in,
through the str API (logs, alerts, CLI) and the bytes API (raw answer bodies),
and ordinary text is left exactly as it was."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote

import pytest

from tracker.redact.pieces import blank_pieces
from tracker.redact.scrub import redact_text, register_secret, scrub, scrub_bytes

KEY = "hostile/Key-9Zt3Lm2Vx8Rc"
# A key with every character htmlspecialchars() writes as an entity.
HTML_KEY = "k&y<9Zt>3\"Lm'2Vx8"
# A panel's usual key: 32 lower-case hex digits.
HEX_KEY = "9f3a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"


def b64(data: str, alphabet: str = "std", pad: bool = True, codec: str = "utf-8") -> str:
    encode = base64.b64encode if alphabet == "std" else base64.urlsafe_b64encode
    coded = encode(data.encode(codec)).decode()
    return coded if pad else coded.rstrip("=")


def entities(text: str, spell: str) -> str:
    return "".join(spell.format(ord(c)) for c in text)


# (name, secret, how a panel wrote it)
ECHOES = [
    ("upper", KEY, KEY.upper()),
    ("lower", KEY, KEY.lower()),
    ("swapped case", KEY, KEY.swapcase()),
    ("percent, lower-case hex", KEY, quote(KEY, safe="").replace("%2F", "%2f")),
    ("percent, upper-cased key", KEY, quote(KEY.upper(), safe="")),
    ("percent, every byte", KEY, "".join(f"%{b:02X}" for b in KEY.encode())),
    ("hex", KEY, KEY.encode().hex()),
    ("HEX", KEY, KEY.encode().hex().upper()),
    ("base64", KEY, b64(KEY)),
    ("base64 unpadded", KEY, b64(KEY, pad=False)),
    ("base64 url-safe", KEY, b64(KEY, "url")),
    ("base64 url-safe unpadded", KEY, b64(KEY, "url", pad=False)),
    # A script that upper- or lower-cases what it echoes.
    ("base64 upper-cased", KEY, b64(KEY).upper()),
    ("base64 lower-cased", KEY, b64(KEY).lower()),
    ("base64 url-safe upper-cased", KEY, b64(KEY, "url", pad=False).upper()),
    # A script that upper- or lower-cases the key, then encodes it.
    ("base64 of the key upper-cased", KEY, b64(KEY.upper())),
    ("base64 of the key lower-cased", KEY, b64(KEY.lower())),
    ("base64 url-safe of the key upper-cased, unpadded", KEY, b64(KEY.upper(), "url", pad=False)),
    ("base64 of a hex key upper-cased", HEX_KEY, b64(HEX_KEY.upper())),
    ("echo $KEY | tr a-z A-Z | base64", KEY, b64(KEY.upper() + "\n")),
    ("base64 of the key lower-cased, then upper-cased", KEY, b64(KEY.lower() + "\n").upper()),
    # A Windows script: [Convert]::ToBase64String([Text.Encoding]::Unicode...).
    ("base64 of UTF-16-LE", KEY, b64(KEY, codec="utf-16-le")),
    ("base64 of UTF-16-BE", KEY, b64(KEY, codec="utf-16-be")),
    ("base64 of UTF-16 with its BOM", KEY, b64(KEY, codec="utf-16")),
    ("base64 of UTF-16-BE with its BOM", KEY, b64("\ufeff" + KEY, codec="utf-16-be")),
    ("base64 of UTF-16-LE, upper-cased", KEY, b64(KEY, codec="utf-16-le").upper()),
    *[
        (
            f"base64 {alphabet} of a text, key at byte {len(lead)}",
            KEY,
            b64(lead + KEY + tail, alphabet),
        )
        for alphabet in ("std", "url")
        for lead, tail in (("key=", "&action=status"), ("k=", "!"), ("?key=", ""))
    ],
    ("decimal entities", KEY, entities(KEY, "&#{};")),
    ("zero-padded decimal entities", KEY, entities(KEY, "&#{:04d};")),
    ("hex entities", KEY, entities(KEY, "&#x{:x};")),
    ("upper-case hex entities", KEY, entities(KEY, "&#X{:X};")),
    ("mixed-case hex entities", KEY, entities(KEY, "&#X{:x};")),
    ("some entities, upper-cased", KEY, entities(KEY[:4], "&#{};") + KEY[4:].upper()),
    ("htmlspecialchars", HTML_KEY, html.escape(HTML_KEY).replace("&#x27;", "&#039;")),
    ("html.escape, upper-cased", HTML_KEY, html.escape(HTML_KEY.upper())),
    ("named entities", HTML_KEY, HTML_KEY.replace("&", "&amp;").replace("'", "&apos;")),
    (
        "JSON \\u escapes, an entity and upper case in one literal",
        KEY,
        '"' + entities(KEY[:3], "\\u{:04X}") + "&#x" + f"{ord(KEY[3]):x};" + KEY[4:].upper() + '"',
    ),
    ("JSON-escaped entities", KEY, '"' + entities(KEY, "\\u0026#{};") + '"'),
    ("JSON \\/ upper-cased", KEY, '"' + KEY.upper().replace("/", "\\/") + '"'),
]


@pytest.fixture(params=ECHOES, ids=[name for name, _, _ in ECHOES])
def echo(request):
    _name, secret, written = request.param
    return secret, f'{{"error": "Access denied for key {written} (try again)"}}', written


def assert_blanked(result: str, written: str) -> None:
    assert written not in result
    assert result.startswith('{"error": "Access denied for key ') and "***" in result
    assert result.endswith(' (try again)"}')


def test_scrub_blanks_every_encoding(echo):
    secret, text, written = echo
    assert_blanked(scrub(text, [secret]), written)


def test_scrub_bytes_blanks_every_encoding(echo):
    secret, text, written = echo
    assert_blanked(scrub_bytes(text.encode(), [secret]).decode(), written)


def test_redact_text_blanks_every_encoding_of_a_registered_secret(echo):
    secret, text, written = echo
    register_secret(secret)
    assert_blanked(redact_text(text), written)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_body_loses_the_key_in_any_case(codec):
    for written in (KEY, KEY.upper()):
        body = f"Wrong key {written}!".encode(codec)
        assert written.encode(codec)[2:-2] not in scrub_bytes(body, [KEY])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("lead", ["", "k=", "key=", "?key="], ids=repr)
def test_base64_of_a_longer_utf16_text_loses_the_key(codec, lead):
    # The key after 0, 2, 4 or 6 bytes: at each of base64's three alignments.
    coded = b64(lead + KEY + "&action=status", codec=codec)
    blanked = scrub(coded, [KEY])
    # What encodes the text before the key is kept (but a zero byte next to
    # it, which UTF-16-BE of the key starts with).
    assert "***" in blanked and blanked.startswith(coded[: max(len(lead) * 2 - 1, 0) * 4 // 3])
    # Of the key's UTF-16 bytes, those sharing a character with the text
    # around them are left: three or four characters at either end.
    inner = b64(lead + KEY, codec=codec)[(len(lead) * 2 + 4) * 4 // 3 + 1 : -5]
    assert len(inner) > 40 and inner not in blanked
    assert inner not in scrub_bytes(coded.encode(), [KEY]).decode()


def test_base64_of_a_longer_text_keeps_what_is_not_the_key():
    coded = b64("action=status&key=" + KEY + "&orders=1,2,3")
    blanked = scrub(coded, [KEY])
    assert blanked.startswith(b64("action=status&key=")[:20]) and "***" in blanked
    # Of the key's bytes, at most the few that share a character with the
    # text around it are left.
    inner = b64("action=status&key=" + KEY)[24:-1]
    assert inner not in blanked and len(inner) > 25


def test_a_lower_case_that_changes_length_keeps_the_spans_in_place():
    # "İ".lower() is two characters: the spans are found in an ASCII-only fold.
    assert scrub(f"İİ {KEY.upper()} İ", [KEY]) == "İİ *** İ"


def test_an_escaped_json_literal_is_decoded_and_written_back_valid():
    text = json.dumps({"error": "clé " + KEY.upper()}, ensure_ascii=True)
    assert "\\u00e9" in text
    blanked = scrub(text, [KEY])
    assert json.loads(blanked) == {"error": "clé ***"}
    assert json.loads(scrub_bytes(text.encode(), [KEY])) == {"error": "clé ***"}


def test_json_text_inside_a_json_string_is_decoded_too():
    inner = json.dumps({"message": "".join(f"\\u{ord(c):04x}" for c in KEY)})
    text = json.dumps({"error": inner})
    assert KEY.encode().hex() not in text and "***" in scrub(text, [KEY])
    assert b"***" in scrub_bytes(text.encode(), [KEY])


# --- what must stay as it was ------------------------------------------------


def status_body() -> str:
    """A 10 kB status answer as a PHP panel writes it: \\/ in links, \\u escapes,
    an &amp; in a URL, base64 and hex-looking IDs."""
    orders = {
        str(1_000_000 + n): {
            "charge": f"{n * 0.137:.5f}",
            "start_count": str(n * 37),
            "status": ["Pending", "In progress", "Partial", "Completed"][n % 4],
            "remains": str(n * 11),
            "currency": "USD",
            "link": f"https://instagram.com/p/{b64(str(n * 7919))}?a=1&amp;b={n:08x}",
            "note": "café ✓",
        }
        for n in range(60)
    }
    return json.dumps(orders).replace("/", "\\/")


@pytest.mark.parametrize("secret", [KEY, "9f3a1c7e5b2d4f6a8c0e1b3d5f7a9c2e", "abcd"])
def test_an_answer_without_the_key_is_left_byte_for_byte(secret):
    body = status_body()
    assert len(body) > 10_000 and "\\u00e9" in body
    assert scrub(body, [secret]) == body
    assert scrub_bytes(body.encode(), [secret]) == body.encode()


def test_a_short_key_blanks_no_base64_or_hex_that_merely_shares_a_run():
    # "abcd" is YWJjZA== and 61626364: "abce" (YWJjZQ==) and a number holding
    # 6162636 share too short a run with them to be blanked.
    text = "token YWJjZQ== ref 616263655"
    assert scrub(text, ["abcd"]) == text
    assert scrub_bytes(text.encode(), ["abcd"]) == text.encode()
    assert scrub("ABCD and YWJjZA==", ["abcd"]) == "*** and ***"


def test_overlapping_forms_become_one_mark():
    assert scrub(f"[{KEY}{KEY.upper()}]", [KEY]) == "[***]"
    assert scrub(f"[{b64(KEY)}]", [KEY]) == "[***]"


def test_an_unclosed_literal_of_escaped_quotes_is_read_once_not_once_per_quote():
    # A hostile body: one quote, then escaped quotes to the 1 MB cap. Each of
    # them used to start a scan to the end (80 kB took 25 s; 1 MB, hours).
    import time

    body = b'{"error": "x' + b'\\"' * 500_000
    started = time.process_time()
    assert scrub_bytes(body, ["SECRET-KEY-123456"]) == body
    assert scrub(body.decode(), ["SECRET-KEY-123456"]) == body.decode()
    assert time.process_time() - started < 5.0  # linear: ~0.03 s here


@pytest.mark.parametrize(
    "text",
    [
        '{"error": "wrong k\\u0065y SECRET-KEY-123456',  # cut off after the key
        '{"error": "wrong \\u0053ECRET-KEY-123456 and \\"more',
        '{"error": "\\u0053ECRET-KEY-123456\\"',  # ends on an escaped quote
    ],
)
def test_the_key_is_found_in_a_literal_the_answer_left_open(text):
    assert "ECRET-KEY-123456" not in scrub(text, ["SECRET-KEY-123456"])
    assert b"ECRET-KEY-123456" not in scrub_bytes(text.encode(), ["SECRET-KEY-123456"])


def test_a_key_cut_by_other_text_is_blanked_piece_by_piece_down_to_8_characters():
    key = "k3yAbcDe-fGh1jKl-mN0pQr"
    cut = f"key {key[:9]}<br />\n<b>Notice</b>: x\n{key[9:].upper()}; {key[:7]}".encode()
    assert blank_pieces(cut, key) == b"key ***<br />\n<b>Notice</b>: x\n***; " + key[:7].encode()
    assert blank_pieces(cut, key[:15]) == cut  # a key under 16 characters: no pieces
    clean = b'{"5": {"status": "In progress", "remains": "5", "charge": "0.27819"}}'
    assert blank_pieces(clean, key) == clean

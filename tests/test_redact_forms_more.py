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

from tracker.redact.scrub import redact_text, register_secret, scrub, scrub_bytes

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
    ("colon-separated hex", ":".join(f"{b:02x}" for b in RAW)),
    ("colon-separated HEX", ":".join(f"{b:02X}" for b in RAW)),
    ("dash-separated hex", "-".join(f"{b:02x}" for b in RAW)),
    ("dash-separated HEX", "-".join(f"{b:02X}" for b in RAW)),
    ("hex of UTF-16-LE", KEY.encode("utf-16-le").hex()),
    ("hex of UTF-16-BE", KEY.encode("utf-16-be").hex()),
    ("HEX of UTF-16-LE", KEY.encode("utf-16-le").hex().upper()),
    ("HEX of UTF-16-BE", KEY.encode("utf-16-be").hex().upper()),
    ("base32", b32(RAW)),
    ("base32 unpadded", b32(RAW, pad=False)),
    ("base32 lower-cased", b32(RAW).lower()),
    ("base32 unpadded, lower-cased", b32(RAW, pad=False).lower()),
    ("groups of 4 by dashes", grouped(KEY, "-")),
    ("groups of 4 by dashes, upper-cased", grouped(KEY.upper(), "-")),
    ("split by a no-break space", KEY[:13] + NBSP + KEY[13:]),
    ("split by &nbsp;", KEY[:13] + "&nbsp;" + KEY[13:]),
    ("a no-break space between every character", NBSP.join(KEY)),
    ("&nbsp; between every character", "&nbsp;".join(KEY)),
    ("groups of 4 by no-break spaces", grouped(KEY, NBSP)),
    ("groups of 4 by &nbsp;", grouped(KEY, "&nbsp;")),
    ("groups of 4 by &#160;", grouped(KEY, "&#160;")),
    ("fullwidth", fullwidth(KEY)),
    ("fullwidth, upper-cased", fullwidth(KEY.upper())),
    ("fullwidth in part", KEY[:10] + fullwidth(KEY[10:])),
    (
        "fullwidth, every other character",
        "".join(fullwidth(c) if at % 2 else c for at, c in enumerate(KEY)),
    ),
    ("fullwidth, split by a no-break space", fullwidth(KEY[:16]) + NBSP + fullwidth(KEY[16:])),
    ("fullwidth as hex entities", "".join(f"&#x{ord(c):X};" for c in fullwidth(KEY))),
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


# --- what must stay as it was ------------------------------------------------


def status_answer(error: str) -> dict[str, object]:
    """A multi-status answer for 100 orders, one of them answered with an error."""
    statuses = ["Pending", "In progress", "Partial", "Completed", "Canceled"]
    answer: dict[str, object] = {
        str(4_000_000 + n * 7): {
            "charge": f"{n * 0.27819:.5f}",
            "start_count": str(3572 + n),
            "status": statuses[n % 5],
            "remains": str(157 * n),
            "currency": "USD",
        }
        for n in range(100)
    }
    answer["4000350"] = {"error": error}
    return answer


def catalogue(note: str) -> list[dict[str, object]]:
    """Services whose texts hold what looks like the new forms: MAC
    addresses, UUIDs, hex and base32 IDs, licence-like codes, no-break
    spaces and ``&nbsp;``, fullwidth words, with a note."""
    looks = [
        "device 00:1a:2b:3c:4d:5e:6f:70:81:92:a3:b4:c5:d6 ok",
        "trace 550e8400-e29b-41d4-a716-446655440000",
        "batch 6b-33-79-41-62-63-44-65 / 0x9f3a1c7e5b2d4f6a8c0e1b3d5f7a9c2e",
        "token JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP== and mfrggzdfmztwq2lknnwg23tpobyxe43u",
        "coupon ABCD-EFGH-1234-5678-IJKL-MNOP-9012-QRST, k3yA-bcDe-f012",
        "utf16 6b0033007900410062006300",
        "Start:&nbsp;0-1h,&nbsp;speed&nbsp;10K/day&nbsp;k3yAbcDef",
        "Гарантия\u00a030\u00a0дней, 10\u00a0000 per day, k3yA\u00a0bcDe\u00a0f012",
        "注文（ｏｒｄｅｒ）：完了 ＡＢＣ－１２３ ｋ３ｙＡｂｃＤｅｆ ♻️ ⭐",
    ]
    return [
        {
            "service": 1000 + n,
            "name": f"Instagram\u00a0Followers | Refill\u00a0{n % 60}\u00a0days",
            "category": "Instagram",
            "rate": f"{n * 0.137:.4f}",
            "min": "10",
            "max": "100000",
            "desc": looks[n % len(looks)] + (f" {note}" if n == 77 else ""),
        }
        for n in range(300)
    ]


LOOKALIKE_FORMS = [
    ("colon-separated hex", ":".join(f"{b:02X}" for b in RAW)),
    ("dash-separated hex", "-".join(f"{b:02x}" for b in RAW)),
    ("hex of UTF-16-BE", KEY.encode("utf-16-be").hex()),
    ("base32", b32(RAW)),
    ("groups of 4 by dashes", grouped(KEY, "-")),
    ("groups of 4 by no-break spaces", grouped(KEY, NBSP)),
    ("&nbsp; between every character", "&nbsp;".join(KEY)),
    ("fullwidth", fullwidth(KEY)),
]


@pytest.mark.parametrize("compact", [True, False], ids=["PHP's compact JSON", "spaced JSON"])
@pytest.mark.parametrize(
    "written", [w for _, w in LOOKALIKE_FORMS], ids=[n for n, _ in LOOKALIKE_FORMS]
)
@pytest.mark.parametrize("shape", [status_answer, catalogue], ids=["status", "catalogue"])
def test_an_answer_keeps_everything_but_the_key(shape, written, compact):
    def body(text: str) -> str:
        if compact:  # \u escapes for every character outside ASCII, as PHP writes
            return json.dumps(shape(text), separators=(",", ":")).replace("/", "\\/")
        return json.dumps(shape(text), ensure_ascii=False)

    echoed, blanked = body(f"Incorrect key {written}"), body("Incorrect key ***")
    if compact:  # the literal holding the key is written back without escapes
        assert json.loads(scrub_bytes(echoed.encode(), [KEY])) == json.loads(blanked)
        assert json.loads(scrub(echoed, [KEY])) == json.loads(blanked)
    else:
        assert scrub_bytes(echoed.encode(), [KEY]) == blanked.encode()
        assert scrub(echoed, [KEY]) == blanked
    plain = body("Incorrect order ID")
    assert scrub_bytes(plain.encode(), [KEY]) == plain.encode()


def test_fullwidth_forms_are_narrowed_as_nfkc_does():
    from tracker.redact.layout import fullwidth as holds_fullwidth
    from tracker.redact.layout import narrowed

    wide = "".join(chr(code) for code in range(0xFF01, 0xFF5F))
    assert narrowed(wide) == unicodedata.normalize("NFKC", wide)
    assert len(narrowed(f"注文（{wide}）")) == len(wide) + 4
    # Narrowed where a fullwidth letter or digit is: not for CJK punctuation
    # alone, nor for an emoji's variation selector (EF B8 8F in UTF-8).
    for text, holds in [("注文（完了）：", False), ("♻️" * 2000 + "订单１", True), ("ｋ", True)]:
        assert holds_fullwidth(text) is holds
        assert holds_fullwidth(text.encode()) is holds


@pytest.mark.parametrize("escape", ["\\u{:04x}", "\\u{:04X}"], ids=["lower-case", "upper-case"])
def test_a_fullwidth_key_json_escaped_in_a_raw_answer_is_blanked(escape):
    # A PHP panel's json_encode() writes every fullwidth character as \uff4b.
    written = "".join(escape.format(ord(c)) for c in fullwidth(KEY))
    body = ('{"7":{"status":"Fail","error":"key ' + written + ' \\ufe0f"}}').encode()
    assert json.loads(scrub_bytes(body, [KEY])) == {
        "7": {"status": "Fail", "error": "key *** \ufe0f"}
    }


@pytest.mark.parametrize(
    "written",
    [
        "".join(f"\\u{ord(c):04x}" for c in fullwidth(KEY)),
        "".join(f"\\u{ord(c):04X}" for c in fullwidth(KEY)),
        KEY[:8] + "".join(f"\\u{ord(c):04x}" for c in KEY[8:20]) + KEY[20:],
    ],
    ids=["fullwidth escaped", "fullwidth escaped, upper-case", "escaped in part"],
)
def test_a_key_json_escaped_outside_any_json_string_in_a_raw_body_is_blanked(written):
    # A script's page quoting the key in a JS string of single quotes, or as
    # bare text: no double-quoted literal holds it to be decoded.
    for body in (
        f"<script>var sent = '{written}';</script>".encode(),
        f"Invalid API key {written} (see docs)\n".encode(),
    ):
        scrubbed = scrub_bytes(body, [KEY])
        assert written.encode() not in scrubbed and b"***" in scrubbed
        assert scrubbed.startswith(body[:10]) and scrubbed.endswith(body[-8:])


def test_a_short_key_read_as_utf16_is_blanked_and_kana_around_it_kept():
    # An 8-character key (real panels issue them) in UTF-8 inside a UTF-16
    # body reads as 4 CJK characters, or 3 from its second byte: it was
    # looked for so only from 12 characters on, and went to the log.
    short = "a0c0e0f0"  # read so: "ちっづて", kana that Japanese text writes
    for shift in (0, 1):
        for codec in ("utf-16-le", "utf-16-be"):
            hidden = short.encode()[shift:][: (len(short) - shift) // 2 * 2].decode(codec)
            text = f"注文はちっとも進まない、待って: {hidden}"
            assert scrub(text, [short]) == "注文はちっとも進まない、待って: ***"
            assert scrub_bytes(text.encode(), [short]) == text.replace(hidden, "***").encode()
    # One or two such characters are no key: "ちっ", a 5-character key's
    # reading, is a word's start, never blanked.
    assert scrub("ちっとも", ["a0c0e"]) == "ちっとも"


SHORT = "Ab3dE9xZ"  # 8 characters: real panels issue such keys


@pytest.mark.parametrize(
    ("said", "left"),
    [
        ("\x01Ab3dE9x\u795a", "\x01***"),  # little-endian body: the last letter under "y"
        ("\u7841b3dE9xZ", "***"),  # big-endian: the first under the stray "x"
        ("\u7841B3DE9XZ", "***"),  # the key upper-cased
        ("Ab3dE9x\u205a", "***"),  # under the space after it
        ("Ab3dE9x\ufffd", "***"),  # lost: half a surrogate pair with its neighbour
        ("\ufffdb3dE9xZ", "***"),
    ],
)
def test_a_key_but_one_end_hidden_beside_it_is_blanked(said, left):
    # The key's UTF-16 in the other byte order after a stray byte reads as
    # the key but one end, that end's letter the low byte of the character
    # beside it; under 16 characters it went to the log as it was.
    text = f"注文: key {said} refused"
    assert scrub(text, [SHORT]) == f"注文: key {left} refused"
    assert scrub_bytes(text.encode(), [SHORT]) == f"注文: key {left} refused".encode()
    escaped = json.dumps({"status": text}).encode()  # \u escapes in a UTF-8 answer
    assert SHORT[1:-1].encode() not in scrub_bytes(escaped, [SHORT])
    register_secret(SHORT)
    assert redact_text(text) == f"注文: key {left} refused"


def test_the_key_but_one_end_beside_an_ordinary_character_keeps_that_character():
    # The key but one end is blanked wherever it is (a key of 8 characters or
    # more); only a character whose low byte is the missing letter goes with
    # it: "é" (U+00E9) after the key's first 7 is kept, as ASCII text is.
    for text, left in (
        ("Ab3dE9x\u00e9 café", "***\u00e9 café"),
        ("Ab3dE9x! café", "***! café"),
        ("\u00e9b3dE9xZ café", "\u00e9*** café"),
        ("b3dE9xZ", "***"),
    ):
        assert scrub(text, [SHORT]) == left
        assert scrub_bytes(text.encode(), [SHORT]) == left.encode()
    for text in ("Ab3dE9\u00e9 café", "b3dE9x\u00e9"):  # two short: no key
        assert scrub(text, [SHORT]) == text
        assert scrub_bytes(text.encode(), [SHORT]) == text.encode()

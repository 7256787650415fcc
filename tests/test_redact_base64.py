"""tracker.redact: the key's base64 is found however a panel lays it out (wrapped
in lines as MIME and PEM write it, indented, spaced out, with nl2br()'s
``<br />`` or quoted-printable soft line breaks) and in whichever form of the
key it encoded (URL-encoded as the tracker sent it or as a query string,
JSON-escaped; upper- or lower-cased by the script, anywhere in a longer
text); hex with spaces too. Lines that hold none of the key are kept,
and a short secret is not joined across the breaks of ordinary text."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote

import pytest

from tracker.redact.scrub import redact_text, register_secret, scrub, scrub_bytes

# "/" is what URL-encoding (%2F) and json_encode (\/) change.
KEY = "hostile/Key-9Zt3Lm2Vx8Rc"
TAIL = "&action=status&orders=" + ",".join(str(1_000_000 + n) for n in range(30))


def b64(data: str, alphabet: str = "std") -> str:
    encode = base64.b64encode if alphabet == "std" else base64.urlsafe_b64encode
    return encode(data.encode()).decode()


def run_of(lead: str, secret: str, coded: str) -> str:
    """The characters of ``coded`` (base64 of lead + secret + ...) that the
    secret's bytes alone decide."""
    start = -(-len(lead.encode()) * 8 // 6)
    return coded[start : (len(lead.encode()) + len(secret.encode())) * 8 // 6]


def leaked(result: str, run: str) -> bool:
    """Whether 8 characters of ``run`` in a row survive, whitespace, HTML and
    soft line breaks ignored."""
    squeezed = "".join(re.sub(r"(?i)<br\s*\\?/?>|=\r?\n", "", result).split())
    return any(run[i : i + 8] in squeezed for i in range(len(run) - 7))


def scrub_str(text: str, key: str = KEY) -> str:
    return scrub(text, [key])


def scrub_raw(text: str, key: str = KEY) -> str:
    return scrub_bytes(text.encode(), [key]).decode()


def registered(text: str, key: str = KEY) -> str:
    register_secret(key)
    return redact_text(text)


APIS: list[tuple[str, Callable[..., str]]] = [
    ("scrub", scrub_str),
    ("scrub_bytes", scrub_raw),
    ("redact_text", registered),
]


@pytest.fixture(params=APIS, ids=[name for name, _ in APIS])
def blank(request) -> Callable[..., str]:
    return request.param[1]


# (name, line width, what goes between two lines, indent of each line)
LAYOUTS = [
    ("MIME, CRLF", 76, "\r\n", ""),
    ("MIME, LF (base64.encodebytes)", 76, "\n", ""),
    ("PEM", 64, "\n", ""),
    ("CR only", 76, "\r", ""),
    ("folded header, CRLF and a space", 76, "\r\n", " "),
    ("indented four spaces", 64, "\n", "    "),
    ("a space every 4 characters", 4, " ", ""),
    ("a tab every 8 characters", 8, "\t", ""),
    ("a space every character", 1, " ", ""),
    ("nl2br(), <br />", 76, "<br />\n", ""),
    ("nl2br() without XHTML, CRLF", 76, "<br>\r\n", ""),
    ("upper-case <BR>", 64, "<BR>\n", ""),
    ("json_encode'd nl2br()", 76, "<br \\/>\n", ""),
    # HTML joining the lines with no line break after the tag at all.
    ("<br> with no line break", 76, "<br>", ""),
    ("<br /> with no line break", 64, "<br />", ""),
    ("upper-case <BR/> with no line break", 76, "<BR/>", ""),
    ("quoted-printable soft line breaks, CRLF", 75, "=\r\n", ""),
    ("quoted-printable soft line breaks, LF", 75, "=\n", ""),
]


def wrapped(coded: str, width: int, indent: str) -> list[str]:
    return [indent + coded[at : at + width] for at in range(0, len(coded), width)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=[name for name, *_ in LAYOUTS])
@pytest.mark.parametrize("alphabet", ["std", "url"])
def test_the_key_is_found_in_base64_laid_out_in_lines(blank, layout, alphabet):
    _name, width, between, indent = layout
    split = 0
    for filler in range(0, 80, 3):  # the key's run starts at every place of a line
        lead = "x" * filler + "key="
        coded = b64(lead + KEY + TAIL, alphabet)
        run = run_of(lead, KEY, coded)
        lines = wrapped(coded, width, indent)
        text = between.join(lines)
        split += run not in text
        result = blank(f"Debug: {text} (request)")
        assert not leaked(result, run), (filler, result)
        assert result.startswith("Debug: ") and result.endswith(" (request)")
        # The lines holding no character of the key's run are left as they were.
        first, last = -(-len(lead) * 8 // 6) // width, (len(lead) + len(KEY)) * 8 // 6 // width
        kept = lines[: max(first - 1, 0)] + lines[last + 2 :]
        assert all(line in result for line in kept), (filler, result)
    assert split >= 5  # the run was split by a line break, not only laid on one line


@pytest.mark.parametrize("api", [scrub_str, scrub_raw], ids=["scrub", "scrub_bytes"])
@pytest.mark.parametrize("between", ["\r\n", "<br />\n"], ids=["MIME", "nl2br"])
def test_mime_base64_inside_a_json_string_is_found_and_the_json_stays_valid(api, between):
    lead = "k=" + "y" * 48
    coded = base64.encodebytes((lead + KEY + TAIL).encode()).decode().replace("\n", between)
    run = run_of(lead, KEY, coded.replace(between, ""))
    assert run not in coded  # a line break falls inside it
    text = json.dumps({"error": "bad request", "debug": coded}).replace("/", "\\/")
    result = json.loads(api(text))
    assert result["error"] == "bad request" and not leaked(result["debug"], run)
    assert result["debug"].startswith(coded[:64])  # the run starts at 67


def request_body(key: str) -> str:
    return "action=status&key=" + key + TAIL


SPACED = KEY.replace("-", " ")  # quote() writes %20, quote_plus() +
# (name, key, what the panel encoded, the text of the key in it) for keys whose
# URL-encoded and JSON-escaped forms differ from them.
ENCODED = [
    ("the form body the tracker sent", KEY, request_body(quote_plus(KEY)), quote_plus(KEY)),
    ("the URL-encoded key alone", KEY, quote(KEY, safe=""), quote(KEY, safe="")),
    ("a query string (quote)", SPACED, "?key=" + quote(SPACED), quote(SPACED)),
    (
        "the json_encode'd request",
        KEY,
        json.dumps({"key": KEY, "action": "status"}).replace("/", "\\/"),
        KEY.replace("/", "\\/"),
    ),
]


@pytest.mark.parametrize("alphabet", ["std", "url"])
@pytest.mark.parametrize("encoded", ENCODED, ids=[name for name, *_ in ENCODED])
def test_base64_of_another_form_of_the_key_is_found(blank, encoded, alphabet):
    _name, key, plain, form = encoded
    coded = b64(plain, alphabet)
    run = run_of(plain[: plain.index(form)], form, coded)
    assert len(run) >= 24 and form != key
    result = blank(f"Denied: {coded}.", key)
    assert not leaked(result, run) and result.startswith("Denied: ") and result.endswith(".")


# A panel's usual key (32 hex digits) and a longer base62 token.
HEX_KEY = "9f3a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"
TOKEN = "Xk9fQ2mZr7LbT4vWc8NdHs3JpYa6EgU1oRiK5nMx"


def json_request(key: str) -> str:
    return json.dumps({"action": "status", "key": key, "orders": "1,2,3"}).replace("/", "\\/")


# (name, key, the text a PHP script cased before base64_encode(), the key's form
# in it): strtoupper() or strtolower() of the request it got, as a debug dump.
CASED = [
    ("strtoupper(request), hex key", HEX_KEY, request_body(HEX_KEY).upper(), HEX_KEY.upper()),
    ("strtoupper(request), token", TOKEN, request_body(TOKEN).upper(), TOKEN.upper()),
    ("strtolower(request), token", TOKEN, request_body(TOKEN).lower(), TOKEN.lower()),
    (
        "strtoupper(json_encode(request))",
        KEY,
        json_request(KEY).upper(),
        KEY.upper().replace("/", "\\/"),
    ),
    (
        "strtolower(request), %2f",
        KEY,
        request_body(quote_plus(KEY)).lower(),
        quote_plus(KEY).lower(),
    ),
    (
        "strtoupper(query string)",
        SPACED,
        ("?action=status&key=" + quote(SPACED) + "&orders=1,2,3").upper(),
        quote(SPACED).upper(),
    ),
]


@pytest.mark.parametrize("alphabet", ["std", "url"])
@pytest.mark.parametrize("cased", CASED, ids=[name for name, *_ in CASED])
def test_base64_of_the_key_cased_inside_a_longer_text_is_found(blank, cased, alphabet):
    # The script's own text before the request (a debug header of any
    # length) puts the key at each of base64's three byte alignments.
    _name, key, plain, form = cased
    assert form in plain and form != key
    alignments = set()
    for header in ("", "R", "Rq", "Req: ", "Request: "):
        lead = header + plain[: plain.index(form)]
        coded = b64(header + plain, alphabet)
        run = run_of(lead, form, coded)
        alignments.add(len(lead.encode()) % 3)
        result = blank(f"Debug: {coded} (end)", key)
        assert not leaked(result, run), (header, result)
        # What encodes the text before the key and after it is kept.
        assert result.startswith("Debug: " + coded[: len(lead.encode()) * 8 // 6])
        assert result.endswith(coded[-12:] + " (end)") and "***" in result
    assert alignments == {0, 1, 2}


@pytest.mark.parametrize(
    "written",
    [
        KEY.encode().hex(" "),
        KEY.encode().hex(" ", 2).upper(),
        KEY.encode().hex("\n", 16),
        KEY.encode().hex("=", 10).replace("=", "=\r\n"),
    ],
    ids=["bytes spaced", "pairs spaced, upper case", "16 bytes a line", "soft line breaks"],
)
def test_hex_with_spaces_is_found(blank, written):
    result = blank(f"Key: {written} end")
    assert not leaked(result.lower(), KEY.encode().hex())
    assert result.startswith("Key: ") and result.endswith(" end")


# A key whose base64 holds "+" or "/" at every alignment (URL-encoding changes them).
URL_KEY = "k?y>9Zt3Lm2Vx8Rc??~~>>"


@pytest.mark.parametrize("lead", ["", "a", "ab"], ids=["at byte 0", "at byte 1", "at byte 2"])
@pytest.mark.parametrize("hex_case", ["upper", "lower"])
def test_base64_percent_encoded_in_a_url_is_found(blank, lead, hex_case):
    coded = b64(lead + URL_KEY)
    run = run_of(lead, URL_KEY, coded)
    assert "+" in run or "/" in run
    in_url = quote(coded, safe="")
    if hex_case == "lower":
        in_url = re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), in_url)
    result = blank(f"Location: https://panel.example/verify?t={in_url}&x=1", URL_KEY)
    assert not leaked(unquote(result), run)
    assert result.startswith("Location: https://panel.example/verify?t=")
    assert result.endswith("&x=1")


@pytest.mark.parametrize(
    "between",
    ["\n", "\r\n", "\r", "\n  ", " ", "<br />\n", "<br>", "<br />", "=\r\n", "=\n"],
    ids=repr,
)
@pytest.mark.parametrize(
    "written", [KEY, KEY.upper(), KEY.lower()], ids=["as is", "upper", "lower"]
)
def test_the_key_cut_by_a_line_break_is_found(blank, between, written):
    # PHP's wordwrap($message, 75, "\n", true) cuts a long word where it falls,
    # wordwrap($message, 75, "<br />\n", true) too; quoted-printable wraps it
    # with a soft line break.
    for cut in range(1, len(KEY)):
        text = f"Invalid API key: {written[:cut]}{between}{written[cut:]} (see the docs)"
        assert blank(text) == "Invalid API key: *** (see the docs)", cut


@pytest.fixture
def own_secrets(monkeypatch):
    """Secrets registered in the test are forgotten after it (a short one
    would blank other tests' log lines)."""
    import tracker.redact.scrub as redact

    for name in ("_secrets", "_registered", "_shortest"):
        value = getattr(redact, name)
        monkeypatch.setattr(redact, name, set(value) if isinstance(value, set) else value)


def test_an_equals_sign_ending_a_line_is_read_both_ways(own_secrets):
    # As a soft line break inside the key, and as the end of base64's padding
    # (a 5-character secret's base64 has no shorter form to find).
    text = f"Key: {KEY[:9]}=\r\n{KEY[9:]}\nToken: {b64('Zq/9x')}\nEnd"
    assert scrub(text, [KEY, "Zq/9x"]) == "Key: ***\nToken: ***\nEnd"
    assert scrub_bytes(text.encode(), [KEY, "Zq/9x"]) == b"Key: ***\nToken: ***\nEnd"
    register_secret("Zq/9x")
    assert registered(text) == "Key: ***\nToken: ***\nEnd"


SHORT = "/webhook"  # 8 characters: a path a sentence may hold
LONG = "/hooks/alerts-16"  # 16: cut by a break, it is the secret, not an accident


@pytest.mark.parametrize(
    "prose",
    [
        "Set the /web hook up first.\nThen retry.",
        "Open /web\nhook settings.",
        "See /web\thook and /webho ok.",
        "Use /web<br />\nhook.",
    ],
)
def test_a_short_secret_is_joined_across_breaks_only_as_base64_or_hex(blank, prose, own_secrets):
    coded = b64(SHORT)
    text = f"{prose} Token: {coded[:5]}\n{coded[5:]} ({SHORT.encode().hex(' ')})"
    assert blank(text, SHORT) == f"{prose} Token: *** (***)"
    cut = f"Hook {LONG[:7]}\n{LONG[7:]}, or {LONG[:3]} {LONG[3:]}."
    assert blank(cut, LONG) == "Hook ***, or ***."


def test_the_reviewers_base64_joined_by_br_alone_is_found(blank, own_secrets):
    # "ABCDEF" is QUJDREVG: its whole base64, cut by a tag with no line break.
    assert b64("ABCDEF") == "QUJDREVG"
    for tag in ("<br>", "<br/>", "<br />", "<BR>"):
        assert blank(f"Token: QUJD{tag}REVG.", "ABCDEF") == "Token: ***.", tag


@pytest.mark.parametrize("soft", ["=\r\n", "=\n"], ids=repr)
@pytest.mark.parametrize("written", [SHORT, SHORT.upper()], ids=["as is", "upper"])
def test_a_short_secret_cut_by_a_soft_line_break_is_found(blank, soft, written, own_secrets):
    # Quoted-printable wraps a line where it falls and "=" at the line's end
    # says the line goes on: the secret is spelt out whole, not by accident.
    for cut in range(1, len(SHORT)):
        text = f"Hook: {written[:cut]}{soft}{written[cut:]} (set)"
        assert blank(text, SHORT) == "Hook: *** (set)", cut


ORDINARY = "\n".join(
    [
        "Open /web<br>hook settings.<br>Set the /web hook<br />up first.",
        "Then /web =\r\nhook, /web=\r\n hook and /webho=\r\n ok: soft breaks in prose.",
        "A=\r\nB, x=\n1, total =\r\n42<br>QUJD<br>REVG<br/>aG9va3M=<BR>ok",
        "Mot de passe oublié ?=\r\n Cliquez <br>ici. In progress<br>Partial<br>Completed",
        *[f"order {1_000_000 + n}<br>status=\r\nIn progress, remains {n}=\n" for n in range(200)],
    ]
)


def test_ordinary_text_with_br_soft_breaks_and_short_words_is_left_alone(own_secrets):
    secrets = [KEY, "9f3a1c7e5b2d4f6a8c0e1b3d5f7a9c2e", SHORT, LONG, "webhook", "Zq/9x"]
    assert scrub(ORDINARY, secrets) == ORDINARY
    assert scrub_bytes(ORDINARY.encode(), secrets) == ORDINARY.encode()
    for secret in secrets:
        register_secret(secret)
    assert redact_text(ORDINARY) == ORDINARY

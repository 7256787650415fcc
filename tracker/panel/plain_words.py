"""An answer whose whole body is the panel's words and no JSON object: a
line of plain text (``Invalid API key``, ``Incorrect request``, ``error:
invalid key``) with a 2xx or 4xx, or a bare JSON string (``"Invalid API
key"``) with a 4xx (with a 2xx, a read's: :mod:`tracker.panel.bare`).

Self-hosted panel scripts that set an HTTP code on their refusals write them
as they write their other answers: ``{"error": ...}``, a bare JSON string
(:mod:`tracker.panel.bare`), or the words echoed as they are. Read as a web
page or a broken answer, a key refused so with a 401 or 403 neither paused
the panel nor raised ``auth_failed``, and an order's own refusal failed the
whole call; with a 200, a plain line was a broken answer retried until the
call failed, at every poll. :mod:`tracker.panel.interpret` reads such words
as ``{"error": <the words>}`` with the same code, for the calls that only
read: the witness (:mod:`tracker.panel.witness`) and the jobs judge them as
that object. For ``add``, ``refill`` and ``cancel`` only words refusing the
key (:func:`tracker.panel.refusals.denies_key`: "Invalid API key", "Account
is inactive"; not words merely naming it), bare or plain, with a 2xx or
4xx: a refused key acted on nothing, and ``{"error": ...}`` saying so is
the key's refusal under any code. Other words to them are the script's,
which ran and may have acted: with a 2xx or a 4xx, a 401, 403 or 404 too,
outcome unknown, as the same words bare are (:mod:`tracker.panel.unserved`'s
``unrefused``): a script may answer any line after placing an order, never
placed twice. Only a line no panel wrote (below) is a page answered before
the script, "not sent" with a 401, 403 or 404.

Not the panel's words, left as a page or a broken answer as before: a code
the server in front of the script answers of the request itself (405, 408,
411, 413, 414, 431; a 429 is retried before this); more than one line, or
over ``MAX_WORDS`` characters; HTML or any tag; a broken JSON document; no
printable words; a status spelling (bare.py's rule); an HTTP reason phrase,
with or without its code (``Forbidden``, ``401 Unauthorized``: a web
server's), but one saying busy (``Too many requests``, ``503 Service
Unavailable``: :func:`busy_phrase`), bare or plain: to the reads the panel
busy, like ``{"error": "Too many requests"}``; to ``add``, ``refill`` and
``cancel`` with a 4xx the panel's words, outcome unknown (a panel's rate
limit may answer after its script acted); a router's miss (``404 page not
found``, ``Cannot POST /api/v2``, ``No input file specified.``: ``wrong_url.generic_miss``);
a CDN's, firewall's or proxy's line (Cloudflare's ``error code: 1020``,
Envoy's ``RBAC: access denied``, PHP-FPM's ``Access denied.``, any line
naming a firewall, WAF, proxy, gateway or CDN); a PHP notice alone
(``Warning: ... on line 12``), or its head cut before the colon (``Notic``,
``Warn``: the notice in front of a JSON answer cut short); JSON inside the
line (JSONP cut short, ``cb({"error": "Incorrect order``: never an order's
error).
"""

from __future__ import annotations

import re
from functools import cache
from http import HTTPStatus
from typing import Any

from tracker.errors import BadAnswerError, PanelAnswerError
from tracker.panel import bare, failures, refusals, wrong_url
from tracker.panel.amounts import bare_amount
from tracker.panel.refill_words import names_refill
from tracker.panel.values import shown, to_balance

MAX_WORDS = 300  # characters: longer is a page, whatever it says
# Codes a web server or proxy answers of the request itself (its method,
# its wait, its size), never a script's refusal in words.
_SERVERS_CODES = frozenset({405, 408, 411, 413, 414, 429, 431})
_BLANKS = "\ufeff\u00a0\u200b\u2060 \t\r\n"


def read_in_words(code: int) -> bool:
    """Whether an answer with HTTP ``code`` may be the panel's words: a 4xx
    but those the server in front of the script answers (see the module)."""
    return 400 <= code < 500 and code not in _SERVERS_CODES


def as_error(code: int, data: Any, action: str, *, reads: bool = True) -> Any:
    """Given a decoded answer with HTTP ``code`` to ``action``, return
    ``{"error": <the words>}`` when it is a bare string of the panel's words
    (see the module) with a 4xx, else ``data`` as it came. ``reads``: a call
    that only reads; for ``add``, ``refill`` and ``cancel`` (False) only
    words refusing the key, and with a 2xx too."""
    if type(data) is not str or not (read_in_words(code) or (not reads and 200 <= code < 300)):
        return data
    said = words(data, action)
    if said is None and reads and busy_phrase(data):  # a 4xx's "Too Many Requests": busy
        said = data.strip(_BLANKS)
    return data if said is None or not (reads or refusals.denies_key(said)) else {"error": said}


class WordsAlone(PanelAnswerError):
    """A ``refill_status`` answered one line of words and no JSON document
    (a 403 "Just a moment...", stray bytes, JSONP cut short): the call's
    failure, judged by the witness as a whole-answer error is, never the
    refill's own error (fuzz178). Its key's refusal, busy words and words
    naming a refill ("Refill not found") are not this: they are read as
    ``{"error": ...}`` (:func:`words_alone`)."""


# JSON inside a line (JSONP cut short, ``cb({"error": "Incorrect order``):
# an answer cut off, no one's words.
_CUT = ('{"', '["', "({", "([")


def words_alone(code: int, said: str, url: str, *, panel: str) -> WordsAlone | None:
    """Given the words (:func:`plain_line`) a ``refill_status`` answered with
    HTTP ``code`` and no JSON, return the call's failure (:class:`WordsAlone`,
    its code named as in every other failure), or None for the key's refusal,
    busy words or words naming a refill, read as ``{"error": ...}``; but JSON
    cut short (``cb({"status":{"error":"Refill not``) is no one's words."""
    if refusals.is_key_refusal(said) or refusals.is_busy(said):
        return None
    if names_refill(said) and not any(cut in said for cut in _CUT):
        return None
    status = None if code == 200 else code  # a 200's words as they are
    detail = said if status is None else failures.with_status(code, {"error": said}, url)["error"]
    return WordsAlone(detail, panel=panel, action="refill_status", status=status)


def string_alone(code: int, said: dict[str, str], url: str, *, panel: str) -> None:
    """Given a ``refill_status`` answered a bare JSON string of words with
    HTTP ``code``, read as ``said`` (``{"error": <the string>}``), raise the
    call's failure as for the same words with no JSON (:func:`words_alone`:
    a 403 ``"Just a moment..."``): no JSON object is no refill's answer. The
    key's refusal, busy words and words naming a refill read as before; a
    string of more than one line (a 2xx's: a 4xx's is read so by
    :func:`words` only when one) is a broken answer."""
    text = said["error"].strip(_BLANKS)
    if not text.replace("\t", " ").isprintable():  # lines, control characters
        raise BadAnswerError(f"not a refill_status answer: {shown(said['error'])}", status=code)
    failed = words_alone(code, text, url, panel=panel)
    if failed is not None:
        raise failed


def plain_error(
    code: int, body: bytes, action: str, *, reads: bool = True
) -> dict[str, str] | None:
    """Given the body (UTF-8, the key blanked) of an answer with HTTP
    ``code`` holding no JSON, return ``{"error": <its words>}`` when it is a
    2xx or 4xx of one line of the panel's words (see the module), else None:
    a page or a broken answer. ``reads``: a call that only reads; for
    ``add``, ``refill`` and ``cancel`` (False) only words refusing the key."""
    said = plain_line(code, body, action, reads=reads)
    if said is None or not (reads or refusals.denies_key(said)):
        return None
    return {"error": said}


def plain_line(code: int, body: bytes, action: str, *, reads: bool = True) -> str | None:
    """Given the body (UTF-8, the key blanked) of an answer with HTTP
    ``code`` holding no JSON, return its words when it is a 2xx or 4xx of
    one line of the panel's words (see the module), whatever they say, else
    None. An HTTP reason phrase saying busy (``Too Many Requests``, ``503
    Service Unavailable``) is the panel's words too, but to ``add``,
    ``refill`` and ``cancel`` (not ``reads``) with a 2xx: their outcome
    unknown all the same, as a broken answer's."""
    if not (200 <= code < 300 or read_in_words(code)) or len(body) > 4 * MAX_WORDS + 16:
        return None
    text = body.decode("utf-8", "replace").strip(_BLANKS)
    if text[:1] in ("{", "[", '"'):  # JSON cut off or garbled: no one's words
        return None
    said = words(text, action)
    if said is None and (reads or not 200 <= code < 300) and busy_phrase(text):
        return text
    return said


def refuses_nothing(said: str) -> bool:
    """Whether ``said``, the panel's words answering a read with a 2xx (a
    line of plain text or a bare JSON string), plainly refuses nothing: a
    number or an amount (``5.00 USD``, ``$5``), or words in ASCII none of
    which says no (``OK``, ``Success``: :func:`tracker.panel.refusals.says_no`).
    Not that action's answer, and never its refusal (the key refused, the
    action missing). Words in another script are given the benefit of the
    doubt: a panel's refusal in its own language, read as ``{"error": ...}``."""
    if to_balance(bare_amount(said.strip(_BLANKS))) is not None:
        return True
    return said.isascii() and not refusals.says_no(said)


def busy_phrase(text: str) -> bool:
    """Whether ``text`` is an HTTP reason phrase alone, its code or not, that
    says the panel is busy (``Too many requests``, ``Service Unavailable``:
    :func:`tracker.panel.refusals.is_busy`). A server's line to ``words``,
    but to a read it says what ``{"error": "Too many requests"}`` says: the
    panel busy, asked again after its wait. To ``add``, ``refill`` and
    ``cancel`` with a 4xx (a 401, 403 or 404 too) the panel's words as any
    other: its script may have acted before it wrote them, so their outcome
    is unknown, never "not sent", as the same words bare are."""
    text = text.strip(_BLANKS)
    if len(text) > 60 or not text.isprintable():
        return False
    return _phrase().fullmatch(text) is not None and refusals.is_busy(text)


def words(text: str, action: str) -> str | None:
    """Return ``text`` without the blanks around it when it is one line of
    the panel's words (see the module), else None."""
    text = text.strip(_BLANKS)
    if not text or len(text) > MAX_WORDS or "<" in text:
        return None
    if not text.replace("\t", " ").isprintable():  # a line break, a control or format character
        return None
    if not bare.has_words(text) or bare.is_status_word(text, action):
        return None
    if any(cut in text for cut in _CUT):  # cb({"error": "Incorrect order: JSON cut short
        return None
    if wrong_url.generic_miss(text):
        return None
    # "Error" alone is a panel's error word (bare.is_error_word), as in
    # {"error": "Error"}, though a server's "Error 404" shape would take it.
    if _servers().search(text) is not None and not bare.is_error_word(text):
        return None
    if _cut_notice(text):
        return None
    return text


# The heads of PHP's notices: a body that is one of them cut before its colon
# ("N", "Notic", "Warn", "PHP Fatal err") is a notice in front of the JSON,
# the answer cut short, never the panel's words (a refill's error, else).
_NOTICE_HEADS = tuple(
    f"{php}{head}"
    for php in ("", "php ")
    for head in (
        "warning",
        "notice",
        "deprecated",
        "fatal error",
        "parse error",
        "strict standards",
    )
)


def _cut_notice(text: str) -> bool:
    """Whether ``text`` is the start of a PHP notice's head, cut before its colon."""
    said = " ".join(text.lower().split())
    return any(head.startswith(said) for head in _NOTICE_HEADS)


@cache
def _phrase() -> re.Pattern[str]:
    """An HTTP reason phrase of a 4xx or 5xx alone, with or without its code
    ("Forbidden", "401 Unauthorized", "403"): a web server's line."""
    phrases = "|".join(re.escape(s.phrase) for s in HTTPStatus if s >= 400)
    code = r"(?:http/[\d.]+\s+)?(?:error\s*)?(?:\d{3})?"
    return re.compile(rf"\W*{code}\W*(?:{phrases})?\W*", re.IGNORECASE)


@cache
def _servers() -> re.Pattern[str]:
    """The words of a web server, CDN, firewall or proxy, or of a PHP notice:
    compiled at its first use, only a 4xx answered in plain words needs it."""
    return re.compile(
        rf"^(?:{_phrase().pattern})$|"  # "Forbidden", "401 Unauthorized", "403"
        r"^\W*access denied\.$|^\W*error code:?\s*\d+|\brbac\b|"
        r"\b(?:firewall|waf|web application firewall|mod_?security|proxy|gateway|cdn|"
        r"cloudflare|sucuri|imunify\w*|ddos|captcha|ray id)\b|"
        r"^\W*(?:php\s+)?(?:(?:\w+\s+)?(?:fatal|parse)\s+error|warning|notice|deprecated|"
        r"strict standards)\s*:|\bon line \d+\b",
        re.IGNORECASE,
    )

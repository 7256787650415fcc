"""What a panel's own error words mean: the key refused, the panel too busy
or failing, the call itself refused, or the request plainly refused.

Pure functions over the text of a whole-answer ``{"error": "..."}``; the client
decides what to do with each meaning. Words saying what was asked about does
not exist are :mod:`tracker.panel.not_found`'s; words about a refill,
:mod:`tracker.panel.refill_words`'. The words read are
:mod:`tracker.panel.refusal_words`'.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from tracker.errors import AuthError, PanelAnswerError
from tracker.panel.error_words import (
    error_words,
    flag_alone,
    no_words_said,
    raise_for_wordless,
    says_no_words,
)
from tracker.panel.ids import written_id
from tracker.panel.refusal_words import (
    ABOUT_THE_REQUEST,
    AUTH_PATTERNS,
    BUSY_PATTERNS,
    CALL_REFUSED,
    FAULT_PATTERNS,
    FOR_A_WHILE,
    KEY_DENIED,
    KEY_GONE,
    LATER,
    NO_MORE,
    PER_REQUEST,
    RATE_WORDS,
    REFUSING,
    WITH_CODE,
)
from tracker.panel.values import as_json, compatible, short


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """One of the patterns of :mod:`tracker.panel.refusal_words`, compiled at
    its first use (the patterns of this module took ~2.5 ms to compile: every
    `run --once` paid them, though only an error answer needs one)."""
    return re.compile(pattern, re.IGNORECASE)


def _found(pattern: str, message: str) -> bool:
    # Words in full-width letters ("Ｉｎｖａｌｉｄ ＡＰＩ ｋｅｙ") read as their
    # ASCII words, as a status word is (:func:`values.compatible`).
    return _compiled(pattern).search(compatible(message)) is not None


def error_text(value: Any) -> str | None:
    """Given an answer item, return the panel's error text (its words) if the
    item is an error. An ``error`` holding no error is none: null, false, 0,
    an empty list or object (``json_encode`` of no errors collected), blank
    text, or PHP's text for false and null ("0", "false", "null"). One that
    only says there is one (true, 1, "true") is said in the ``message`` or
    ``msg`` beside it, when there are words there."""
    if isinstance(value, dict) and "error" in value and not _no_error(value["error"]):
        beside = _flag_words(value["error"], value)
        return short(beside) if beside is not None else error_words(value["error"])
    return None


def _flag_words(error: Any, value: dict[str, Any]) -> str | None:
    """Given an error object and its ``error``, return the words of its
    ``message`` or ``msg`` when that error only flags one (true, 1, "true"),
    else None."""
    if error is True or error == 1 or (type(error) is str and error.strip() in _FLAGS):
        # {"error": true, "message": "Invalid API key"}: a flag, its words beside.
        beside = next((value[k] for k in ("message", "msg") if k in value), None)
        if type(beside) is str and beside.strip():
            return beside.strip()
    return None


_FLAGS = frozenset(("1", "true", "True", "TRUE"))  # an error field saying only "yes"


_NO_ERROR_TEXT = frozenset(("", "0", "false", "null"))


def _no_error(error: Any) -> bool:
    if error in (None, "", False) or (isinstance(error, list | dict) and not error):
        return True
    return isinstance(error, str) and error.strip().lower() in _NO_ERROR_TEXT


def is_key_refusal(message: str) -> bool:
    """Return True when ``message`` is one of the known key/account refusal
    phrasings, and not a rate limit that names the key ("API key rate limit
    exceeded", "Too many requests for this API key")."""
    if not _found(AUTH_PATTERNS, message):
        return False
    if not _found(BUSY_PATTERNS, message):
        return True
    if _found(FOR_A_WHILE, message) and not _found(KEY_GONE, message):
        return False  # "API key temporarily locked: too many requests"
    return _found(KEY_DENIED, message)


def denies_key(message: str) -> bool:
    """Return True when ``message`` is a key refusal (:func:`is_key_refusal`)
    that also says the key is no good ("Invalid API key", "Account is
    inactive", "Unauthorized"), not words merely naming the key: what a line
    of plain text or a bare string must say to be read as the key's refusal
    by ``add``, ``refill`` and ``cancel`` (:mod:`tracker.panel.plain_words`)."""
    return is_key_refusal(message) and _found(KEY_DENIED, message)


def refuses(message: str) -> bool:
    """Return True when ``message`` (words where an ID or a result goes) plainly
    refuses the request, rather than saying it was taken."""
    return _found(REFUSING, message)


def says_no(message: str) -> bool:
    """Return True when ``message`` refuses or fails anything, in any of the
    words above: the key, the call, the request, the panel busy or failing.
    Words saying none of it ("OK", "Success", "5.00 USD") refuse nothing."""
    return (
        refuses(message)
        or _found(KEY_DENIED, message)
        or _found(NO_MORE, message)
        or is_key_refusal(message)
        or is_busy(message)
        or is_panel_fault(message)
        or refuses_the_call(message)
    )


def is_busy(message: str) -> bool:
    """Return True when ``message`` says the panel is too busy (rate limit,
    overload, maintenance, "retry in 60 seconds") rather than refusing the
    key or the request."""
    if is_key_refusal(message):
        return False
    if _found(BUSY_PATTERNS, message):
        return not _found(PER_REQUEST, message)
    return _found(LATER, message) and not _found(ABOUT_THE_REQUEST, message)


def is_rate_limit(message: str) -> bool:
    """Return True when ``message`` is busy words (:func:`is_busy`) saying the
    panel is limiting our calls ("Too many requests", "Rate limit exceeded"),
    not that it is busy, down or in maintenance."""
    return is_busy(message) and _found(RATE_WORDS, message)


def is_panel_fault(message: str) -> bool:
    """Return True when ``message`` says the panel's own server failed (a
    database or internal error), rather than refusing the key or the request:
    about no order, and no sign of the key either, whatever action said it."""
    return _found(FAULT_PATTERNS, message) and not is_key_refusal(message)


def refuses_the_call(message: str) -> bool:
    """Return True when ``message`` refuses the call itself, the action or the
    request (a panel lacking the action, or unable to read the call), in
    words that name no order, with its HTTP code or not: never one order's error."""
    words = " ".join(compatible(message).split())
    coded = _compiled(WITH_CODE).match(words)
    words = words[coded.end() :] if coded is not None else words
    return _compiled(CALL_REFUSED).fullmatch(words) is not None


def raise_for_error(data: Any) -> None:
    """Raise PanelAnswerError (AuthError for key/account refusals) if data is
    an error; BadAnswerError for an error of no words (``{"error": true}``,
    ``{"error": ""}``): no refusal, no key's, the call's failure alone."""
    raise_for_wordless(data)
    message = error_text(data)
    if message is None:
        return
    status = answer_status(data)
    if is_key_refusal(message):
        raise AuthError(message, status=status)
    raise PanelAnswerError(message, status=status)


def refuses_key_unsaid(code: int, data: Any, action: str) -> bool:
    """Whether an answer to ``action`` with HTTP ``code`` is the key's refusal
    in no words: a 401 (Unauthorized, the code's own meaning: the key or the
    account refused) whose whole answer is an error of no words
    (:func:`~tracker.panel.error_words.says_no_words`: ``{"error": true}``,
    ``{"error": ""}``). Not an ``add``'s or ``refill``'s error that is an ID
    (``{"error": 1}``: maybe placed, :func:`error_names_order`), nor a 403:
    a firewall's or bot check's refusal as often as the key's, the call's
    failure alone unless its words name the key."""
    if code != 401 or not says_no_words(data):
        return False
    named = {"add": error_names_order, "refill": error_names_refill}.get(action)
    return named is None or not named(data)


def add_maybe_placed(data: Any) -> str | None:
    """Given an ``add`` answer, return what to say of its error when it may
    follow an order placed (a script failing after its INSERT): its words
    when the panel's server failed ("SQLSTATE...", "Internal server error")
    or it was too busy ("Too many requests"), as a re-order reads them; an
    order ID for the error, bare or an object's ``order`` (``{"error":
    23501}``, ``{"error": {"order": 23501}}``). None for any other answer."""
    words = error_text(data)
    if words is None:
        return None
    if error_names_order(data):
        return f"answered an order ID for its error{_coded(data)}"
    if flag_alone(data):  # {"error": true}: no refusal in words, maybe placed
        return no_words_said(data)
    if is_key_refusal(words):
        return None
    return words if is_busy(words) or is_panel_fault(words) else None


def _coded(data: Any) -> str:
    """An answer named an order's ID for its error, as said: its HTTP status
    when not 200 apart, then the answer as the panel sent it (``" (HTTP 400):
    {"error": 23501}"``), not as :func:`~tracker.panel.failures.with_status`
    wrote the status into its error (``{"error": "HTTP 400: 23501"}``)."""
    if answer_status(data) is None or not isinstance(data, dict):
        return f": {as_json(data)}"
    status = str(data.get("error", "")).partition(": ")[0]  # "HTTP 404 from URL" too
    return f" ({status}): {as_json({**data, 'error': getattr(data, 'given', None)})}"


def error_names_order(data: Any) -> bool:
    """Whether an ``add`` answer's error is an order ID, bare or an object's
    ``order`` (``{"error": 23501}``, ``{"error": {"order": "23501"}}``):
    the panel's script placed that order, maybe."""
    return _error_names(data, "order")


def error_names_refill(data: Any) -> bool:
    """Whether a ``refill`` answer's (or item's) error is a refill ID, bare
    or an object's ``refill`` (``{"error": 5001}``, ``{"error": {"refill":
    "5001"}}``): the panel's script made that refill, maybe, as
    :func:`error_names_order` reads an ``add``'s."""
    return _error_names(data, "refill")


def _error_names(data: Any, field: str) -> bool:
    """Whether ``data``'s error is an ID, bare or an object's ``field``."""
    error = data.get("error") if isinstance(data, dict) else None
    error = getattr(data, "given", None) or error  # a non-200's, before "HTTP 429: "
    if isinstance(data, dict) and _flag_words(error, data) is not None:
        return False  # {"error": 1, "message": ...}: the 1 a flag, not an ID
    named = error.get(field) if isinstance(error, dict) else error
    return type(named) is not bool and written_id(named) is not None


def answer_status(data: Any) -> int | None:
    """Return the HTTP code an answer came with when not 200 (kept by
    :func:`tracker.panel.failures.with_status`), else None."""
    status = getattr(data, "status", None)
    return status if isinstance(status, int) else None

"""The words of a panel's ``error`` field as one line: a text as it is, a web
framework's error object by its message, never Python's rendering of it
(``{'code': 422, 'message': ...}`` was said to the user and stored). Pure."""

from __future__ import annotations

from typing import Any

from tracker.errors import BadAnswerError
from tracker.panel.json_decoder import Twice
from tracker.panel.values import as_json, short

# Where a web framework's error object says its words: Laravel's and
# Express's "message", "msg", RFC 7807's "detail", OAuth's "description".
WORDS_AT = ("message", "msg", "error", "detail", "description", "text", "reason")
_MAX_WORDS = 300  # as short() cuts a text


def error_words(error: Any) -> str:
    """Given an ``error`` field, return its words as one line: a text as it
    is; an object's text under one of :data:`WORDS_AT`
    (``{"code": 422, "message": "The link field is required."}``); a list of
    texts joined by "; "; anything else as JSON writes it (``{"code": 7}``,
    ``true``). An ``error`` given twice, differently (a ``Twice``), in its
    words: 'it answered "error" twice, differently: [] and {}', never
    Python's rendering of the error item it is read as."""
    if isinstance(error, Twice):
        return short(f"it {error['error']}")
    if type(error) is dict:
        for name in WORDS_AT:
            text = error.get(name)
            if isinstance(text, str) and text.strip():
                return short(text)
        return as_json(error, _MAX_WORDS)
    if type(error) is list and error and all(isinstance(item, str) for item in error):
        return short("; ".join(error))
    if isinstance(error, bool | list):
        return as_json(error, _MAX_WORDS)
    return short(error)


_FLAGS = frozenset(("1", "true"))  # an error field saying only "yes", any case
_WORDS_BESIDE = ("message", "msg")
# What an error answer of no words may hold beside its ``error``.
_WORDLESS_KEYS = frozenset(("error", *_WORDS_BESIDE, "code"))


def _given(value: dict[str, Any]) -> Any:
    """The ``error`` as the panel wrote it (a non-200's, before "HTTP 400: ")."""
    given = getattr(value, "given", None)
    return value["error"] if given is None else given


def _no_words_beside(value: dict[str, Any]) -> bool:
    return all(value.get(k) is None or _blank(value[k]) for k in _WORDS_BESIDE)


def _blank(text: Any) -> bool:
    return type(text) is str and not text.strip()


def flag_alone(value: Any) -> bool:
    """Return True when ``value`` is an error object whose ``error`` only
    says there is one (true, 1, "1", "true"), no words beside it in
    ``message`` or ``msg``: an error in no words (``{"error": true}`` was
    said and stored as the refusal "true")."""
    if not isinstance(value, dict) or "error" not in value:
        return False
    error = _given(value)
    flag = error is True or (type(error) is int and error == 1)
    flag = flag or (type(error) is str and error.strip().lower() in _FLAGS)
    return flag and _no_words_beside(value)


def says_no_words(data: Any) -> bool:
    """Return True when a whole answer is an error of no words: its ``error``
    a flag alone (:func:`flag_alone`) or holding nothing (``""``, null,
    false, ``[]``, ``{}``), only a blank ``message`` or ``msg`` or a
    ``code`` beside: ``{"error": true}``, ``{"error": "", "code": 3}``."""
    if not isinstance(data, dict) or "error" not in data or not _WORDLESS_KEYS.issuperset(data):
        return False
    error = _given(data)
    empty = error in (None, False) or _blank(error) or (type(error) in (list, dict) and not error)
    return (empty and _no_words_beside(data)) or flag_alone(data)


def no_words_said(data: dict[str, Any]) -> str:
    """What is said of an error answer in no words: the answer as the panel
    wrote it, its HTTP code (not 200) beside, never the error as
    :func:`~tracker.panel.failures.with_status` wrote it ("HTTP 400: true")."""
    given, status = getattr(data, "given", None), getattr(data, "status", None)
    code = f" (HTTP {status})" if type(status) is int else ""
    written = data if given is None else {**data, "error": given}
    return f"answered an error with no words{code}: {as_json(written)}"


def raise_for_wordless(data: Any) -> None:
    """Raise BadAnswerError, said by :func:`no_words_said`, if ``data`` is a
    whole answer of an error in no words (:func:`says_no_words`): no
    refusal, no key's, no order's or refill's; the call failed."""
    if says_no_words(data):
        status = getattr(data, "status", None)
        raise BadAnswerError(no_words_said(data), status=status if type(status) is int else None)

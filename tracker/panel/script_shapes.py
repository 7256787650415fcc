"""Answer shapes panel scripts write around the usual one, read through: a
status answer about many orders wrapped in one key (``{"orders": {...}}``,
``{"data": [...]}``), the other calls' answers so wrapped (:func:`wrapped`:
``{"data": {"refill": 55}}``), a refusal as JSON APIs write one
(:func:`error_said`); ``add`` answered the list of its one row
(PDO's ``fetchAll()``, ``[{"order": 77}]``) and an ``add`` answer said
back as the panel wrote its numbers are :mod:`add_shapes`'s. Pure; used by the parsers and the
client at one look per answer (no cost per item on a well-formed answer)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tracker.panel.bare import has_words, is_error_word, is_status_word
from tracker.panel.envelopes import holds_nothing, kept_whole, no_refill_words, opened
from tracker.panel.ids import key_id, listed_id, named_id
from tracker.panel.refusals import add_maybe_placed


def _names(wanted: set[int], data: dict[str, Any] | list[Any]) -> bool:
    """Return True when ``data`` keys an item by an asked ID, or lists an
    item whose ``order`` names one."""
    if type(data) is dict:
        return any(named_id(key) in wanted for key in data)
    return any(listed_id(i) in wanted for i in data)


def unwrapped(wanted: set[int], data: Any) -> Any:
    """Given the answer to a status call about the IDs ``wanted``, return what
    its one key holds when that key could be no order's ID ("orders", "data",
    "result"; never "125" or " 125"), or what a success envelope holds
    (:func:`~tracker.panel.envelopes.opened`), when that is an object keyed
    by, or a list of items naming, an asked ID; None for any other answer."""
    if type(data) is not dict:
        return None
    if len(data) != 1:
        inner = opened(data)  # {"status": "success", "data": {...}}
    else:
        [(key, inner)] = data.items()
        if key_id(key) is not None:
            return None
    if type(inner) not in (dict, list):  # a Twice is no dict here
        return None
    return inner if _names(wanted, inner) else None


# The fields each action's plain answer uses (besides "error"): a wrapper's
# key naming one is that answer's own field, never a wrapper.
_FIELDS = {
    "add": frozenset({"order"}),
    "status": frozenset({"order", "orders", "status", "charge", "remains", "currency", "runs"}),
    "refill": frozenset({"order", "orders", "refill", "status"}),
    "refill_status": frozenset({"refill", "refills", "status"}),
    "cancel": frozenset({"order", "orders", "cancel"}),
    "balance": frozenset({"balance", "currency"}),
    "services": frozenset({"service", "name", "type", "rate", "min", "max", "category"}),
}


def _holds(fields: frozenset[str], asked: Collection[str], inner: Any) -> bool:
    """Return True when ``inner`` is shaped as an answer using ``fields`` is:
    an object with one of them or an error, or keyed by an ID (or an asked
    refill's); a list of objects one of which has one of them."""
    if type(inner) is dict:
        return any(k in fields or k == "error" or k in asked or key_id(k) for k in inner)
    if type(inner) is list:
        return any(type(i) is dict and not fields.isdisjoint(i) for i in inner)
    return False


def held_nothing(data: Any) -> bool:
    """Return True when ``data`` is a success envelope holding nothing
    (``{"status": "success", "data": []}``, ``{}``, ``null``): no order's
    answer, judged as that bare answer is."""
    return holds_nothing(data)


def wrapped(action: str, data: Any, asked: Collection[str] = ()) -> Any:
    """Given the answer to ``action`` (a multi status: :func:`unwrapped`),
    return what its one key holds when that key could be no order's ID, is
    no field the action's plain answer uses nor "error" (nor, for refills,
    a key with a digit: any may be a refill's ID) and holds the action's
    plain shape (``{"data": {"refill": 55}}``, ``{"data": [{"order": 5,
    "cancel": 1}]}``); else ``data``. A top-level error inside speaks for
    the call. One look: no cost per item of a well-formed answer. So for
    what a success envelope holds (:func:`~tracker.panel.envelopes.opened`)."""
    if type(data) is not dict:
        return data
    if len(data) != 1:
        inner = opened(data)  # {"status": "success", "data": {"refill": 55}}
        return inner if inner is not None and _holds(_FIELDS[action], asked, inner) else data
    [(key, inner)] = data.items()
    fields = _FIELDS[action]
    named = key.strip().lower()
    if key_id(key) is not None or named in fields or named == "error" or key in asked:
        return data
    if action == "refill_status" and any(c.isdigit() for c in key):  # "R78": a refill's ID
        return data
    return inner if _holds(fields, asked, inner) else data


def error_inside(action: str, data: Any, asked: Collection[str] = ()) -> Any:
    """Given a whole answer to ``action``, return the error object its one
    key holds (``{"data": {"error": "Invalid API key"}}``, ``{"result":
    {"error": ...}}``) when that key could be a wrapper (as :func:`wrapped`
    takes one, with no digit in it and not ``asked``: ``{"R78": {"error":
    ...}}`` is a refill's) and the object holds none of the action's fields
    (an order ID beside the error stays the answer it was, shown whole);
    else ``data``. Read at the transport, so a wrapped refusal is judged as
    the same refusal unwrapped: its HTTP code, the key's words, the
    witness. One look per answer."""
    if type(data) is not dict or len(data) != 1:
        return data
    [(key, inner)] = data.items()
    named = key.strip().lower()
    if action in _BY_ORDERS and named == "orders":
        return _refused_orders(action, data, inner)
    if key in asked or any(c.isdigit() for c in key) or key_id(key) is not None:
        return data
    fields = _FIELDS.get(action, frozenset())
    if named == "error" or named in fields:
        return data
    if type(inner) is str:  # {"data": "Incorrect API key"}
        return _words(action, data, inner) if named in _HOLDERS and action in _BY_ORDERS else data
    if type(inner) is not dict or "error" not in inner or not fields.isdisjoint(inner):
        return data
    return inner


# The wrapper keys whose text alone is the panel's words ({"message": ...}
# is read as words elsewhere: plain_words, with its HTTP code).
_HOLDERS = frozenset({"data", "result", "response", "payload"})
# The calls that may ask by "orders" (many orders at once): a refusal under
# "orders", or the panel's words alone under a wrapper, read through.
_BY_ORDERS = frozenset({"status", "refill", "cancel"})


def _words(action: str, data: Any, inner: str) -> Any:
    """Return ``inner`` when it is the panel's words alone (then read as a
    bare string is: bare.py), not a status word (whose?) nor IDs written as
    text; else ``data``."""
    if any(c.isalpha() for c in inner) and has_words(inner):
        return data if is_status_word(inner, action) else inner
    return data


def _refused_orders(action: str, data: dict[str, Any], inner: Any) -> Any:
    """Given a status, refill or cancel answer of one key, "orders" (the
    field a multi call asks by), return what it holds when that is a refusal
    of the whole call: an error object holding no order's field nor ID
    (``{"orders": {"error": "Incorrect API key"}}``), or the panel's words
    alone (``{"orders": "Incorrect API key"}``, then read as a bare string
    is: bare.py); else ``data``: orders keyed by ID, a drip-feed's children
    (a list, or IDs written as text), a status word (whose?) stay the
    answer they are."""
    if type(inner) is dict and "error" in inner:
        fields = _FIELDS[action]
        return data if any(k in fields or key_id(k) is not None for k in inner) else inner
    if type(inner) is str:
        return _words(action, data, inner)
    return data


# A refusal as JSON APIs write one: these keys alone (and one holder, an
# error envelope), its words in one of _WORDS, its status an error word or
# its success false.
_REFUSAL_KEYS = frozenset({"status", "success", "message", "msg", "code"})
_WORDS = ("message", "msg")


def error_said(data: Any) -> Any:
    """Given a whole answer to a call that only reads, return ``{"error":
    <its words>}`` when it is a refusal as JSON APIs write one: ``{"status":
    "error", "message": "Invalid API key"}`` (Error/Fail/Failed, ``msg``, a
    ``code`` beside), ``{"success": false, "message": ...}``, also as an
    error envelope, one holder key beside (``{"status": "error", "data":
    {...}}``, ``"data": null``: its words those of the error it holds, else
    what its status said); and nothing else (no order's field: ``{"status":
    "Error", "remains": "5"}`` is an order's); else ``data``. Read at the
    transport, so it is judged as the same refusal as ``{"error": ...}``:
    never an order's Failed status, whatever the envelope holds."""
    if type(data) is not dict or not 1 < len(data) <= 6:
        return data
    held = data.keys() - _REFUSAL_KEYS
    if len(held) > 1 or not _HOLDERS.issuperset(held) or len(data) - len(held) > 4:
        return data
    status, success = data.get("status"), data.get("success", False)
    if "status" in data and not (type(status) is str and is_error_word(status)):
        return data
    if success is not False or ("status" not in data and "success" not in data):
        return data
    words = _words_said(data, held)
    if words is not None:
        return {"error": words}
    if not held:
        return data
    return {"error": f'status "{status.strip()}", no message' if status else _NO_SUCCESS}


def _words_said(data: dict[str, Any], held: Collection[str]) -> str | None:
    """The words of a refusal as JSON APIs write one: its message, else the
    error its one holder key holds; None when it says none."""
    words = next((data[name] for name in _WORDS if name in data), None)
    if type(words) is str and words.strip():
        return words.strip()
    inner = data[next(iter(held))] if held else None
    if type(inner) is dict and type(inner.get("error")) is str and inner["error"].strip():
        return str(inner["error"].strip())
    return None


def refusal_said(action: str, data: Any) -> Any:
    """Given a whole answer to ``refill``, ``cancel`` or ``add`` (sent once),
    return ``{"error": <its words>}`` when it is a refusal as JSON APIs write
    one (:func:`error_said`) saying words, its holder key holding nothing
    else (``null``, ``{}``, ``[]``, an error object alone): ``{"status":
    "error", "message": "Refill not available", "data": null}`` is that
    refusal, as bare; to ``add`` only words a bare ``{"error": ...}`` is a
    plain refusal in (nothing placed; never a server's fault nor busy
    words, which may follow an order placed). Else ``data``: wordless, or
    holding what may say what was done (a refill ID), its outcome unknown."""
    said = error_said(data)
    if said is data:
        return data
    held = data.keys() & _HOLDERS
    if any(data[key] not in (None, {}, []) and not _error_alone(data[key]) for key in held):
        return data
    if _words_said(data, held) is None:
        return data
    return data if action == "add" and add_maybe_placed(said) is not None else said


def _error_alone(value: Any) -> bool:
    return type(value) is dict and value.keys() == {"error"}


_NO_SUCCESS = "success false, no message"


def error_enveloped(action: str, data: Any, reads: bool) -> Any:
    """Given a whole answer of more than one key to ``action``, return the
    error object a success envelope holds (``{"status": "success", "data":
    {"error": "Incorrect API key"}}``) when :func:`error_inside` would read
    it under one wrapper key; to a call that only reads (``reads``), a
    refusal as JSON APIs write one (:func:`error_said`); to ``add``,
    ``refill``, ``cancel`` one with words, holding nothing else
    (:func:`refusal_said`); to ``refill_status`` one whose words are no
    refill's (:func:`envelopes.no_refill_words`); else ``data``. One
    look per answer. One holding nothing (``[]``, ``{}``, ``null``) is that
    bare value, but to ``add`` and a ``refill`` or ``cancel`` with words
    beside (:func:`~tracker.panel.envelopes.kept_whole`: shown whole)."""
    inner = opened(data)
    if holds_nothing(data) and not kept_whole(action, data):  # never a refill's "success"
        return inner
    if type(inner) is dict and "error" in inner:
        return inner if error_inside(action, {"data": inner}) is inner else data
    if inner is None and action in _ACTS:  # {"status": "error", "message": ..., "data": null}
        return refusal_said(action, data)
    said = error_said(data) if inner is None and action == "refill_status" else data
    if said is not data and data.keys() & _HOLDERS and no_refill_words(said["error"]):
        return said  # the key's, busy or the call's words, a holder beside: no refill's
    return error_said(data) if reads and inner is None else data


_ACTS = frozenset({"add", "refill", "cancel"})  # sent once: refusal_said

"""A success envelope around an answer, as scripts writing every answer in
one frame send it: ``{"status": "success", "data": {...}}``, ``{"success":
true, "result": [...]}``, ``{"status": "ok", "message": "OK", "response":
...}``. Pure; looked at by :mod:`tracker.panel.script_shapes` once the
usual reading has failed (a multi status) or at one look per answer (the
other calls): never per item. An error envelope's words to
``refill_status`` that are no refill's (:func:`no_refill_words`), and one
saying no words (:func:`says_only_no`), judged here too."""

from __future__ import annotations

from typing import Any

from tracker.panel import refusals
from tracker.panel.bare import is_error_word
from tracker.panel.flags import each_given
from tracker.panel.json_decoder import Twice

# The keys that hold the answer, and those an envelope may hold beside it.
HOLDERS = frozenset({"data", "result", "response", "payload"})
_BESIDE = frozenset({"status", "success", "message", "msg", "code"})
_SUCCESS = frozenset({"success", "ok"})  # a ``status`` saying success
_TRUE = (True, 1, "true", "1")  # a ``success`` saying so


def _says_success(data: dict[str, Any]) -> bool:
    """Return True when ``status`` or ``success`` says success and neither
    says otherwise (``{"status": "success", "success": false}``: no)."""
    if "status" not in data and "success" not in data:
        return False
    status = data.get("status", "success")
    if type(status) is not str or status.strip().lower() not in _SUCCESS:
        return False
    success = data.get("success", True)
    return type(success) in (bool, int, str) and success in _TRUE


def _holder(data: Any) -> str | None:
    """Return the one holder key of a success envelope (see :func:`opened`), else None."""
    if type(data) is not dict or not 1 < len(data) <= 6 or HOLDERS.isdisjoint(data):
        return None
    held = [key for key in data if key in HOLDERS]
    if len(held) != 1 or not _BESIDE.issuperset(key for key in data if key != held[0]):
        return None
    return held[0] if _says_success(data) else None


def holds_nothing(data: Any) -> bool:
    """Return True when ``data`` is a success envelope whose holder holds
    nothing, ``{}``, ``[]`` or ``null`` (``{"status": "success", "data":
    null}``): no action's answer, but as that bare value is one."""
    key = _holder(data)
    return key is not None and type(data[key]) in (dict, list, type(None)) and not data[key]


def kept_whole(action: str, data: dict[str, Any]) -> bool:
    """Return True when a success envelope holding nothing answering
    ``action`` is read whole, not as that bare value: to ``add``, and to
    ``refill`` or ``cancel`` when its ``message`` or ``msg`` says words
    (``{"status": "success", "message": "Order canceled", "data": {}}``):
    the outcome is unknown either way, but those words are said with it,
    never dropped with the envelope."""
    if action == "add":
        return True
    said = (data.get(key) for key in ("message", "msg"))
    return action in ("refill", "cancel") and any(type(w) is str and _tells(w) for w in said)


# Words beside an answer that tell nothing of it: dropped with the envelope.
_NOTHING_SAID = frozenset({"", "ok", "okay", "success", "successful", "succeeded", "done", "true"})


def _tells(words: str) -> bool:
    return words.strip(" .!\t\r\n").lower() not in _NOTHING_SAID


def opened(data: Any) -> Any:
    """Given a whole answer, return what its one holder key (``data``,
    ``result``, ``response``, ``payload``) holds when it is a success
    envelope: beside that key only ``status``, ``success``, ``message``,
    ``msg``, ``code``, its ``status`` "success" or "ok" or its ``success``
    true, no ``error``; else None. What it holds is the caller's to judge
    (the asked IDs, the action's shape)."""
    key = _holder(data)
    return None if key is None else data[key]


def no_refill_words(words: str) -> bool:
    """Return True when ``words``, those of an error envelope answering
    ``refill_status`` (``{"status": "error", "message": "Invalid API key",
    "data": null}``), are never one refill's outcome: the key refused, the
    panel busy or limiting calls, the call itself refused ("Incorrect
    request", "Unknown action"); read as the same words bare, ``{"error":
    ...}``. Other words ("Refill rejected") may be the refill's own Error."""
    if refusals.is_key_refusal(words) or refusals.is_busy(words):
        return True
    return refusals.refuses_the_call(words)


_SAYING = frozenset({"status", "success", "code", "message", "msg"})


def says_only_no(data: Any) -> bool:
    """Return True when ``data`` is an error envelope saying no words:
    ``{"status": "error", "data": {}}``, ``{"success": false}`` (a ``code``
    beside, a blank ``message``, one holder key holding nothing: ``{}``,
    ``[]``, ``null``). No order's answer (its keys are no orders), nor a
    refusal in words: what was done, if anything, cannot be told."""
    if type(data) is not dict or not 0 < len(data) <= 6:
        return False
    held = [key for key in data if key in HOLDERS]
    if len(held) > 1 or not _SAYING.issuperset(key for key in data if key not in held):
        return False
    if any(type(data[k]) not in (dict, list, type(None)) or data[k] for k in held):
        return False
    if any(
        k in data and not (data[k] is None or type(data[k]) is str and not data[k].strip())
        for k in ("message", "msg")
    ):
        return False  # words (or what may be some) beside
    status, success = data.get("status"), data.get("success")
    if "status" in data and not (type(status) is str and is_error_word(status)):
        return False
    if "success" in data and (type(success) not in (bool, int, str) or success not in _FALSE):
        return False
    return "status" in data or "success" in data


_FALSE = (False, 0, "false", "0")  # a ``success`` saying no


def says_alone(data: Any) -> bool:
    """Return True when ``data`` holds only what an envelope says beside an
    answer, no holder (``{"status": "success", "message": "Order
    canceled"}``): its keys name no order; its words are said with the
    orders' outcome unknown, never dropped."""
    return type(data) is dict and bool(data) and _SAYING.issuperset(data)


def says_failure(data: Any) -> bool:
    """Return True when ``data`` says it failed as JSON APIs write it,
    whatever it holds beside: its ``status`` an error word ("error",
    "fail", "failed") or its ``success`` false (false, 0, "false", "0"),
    either given twice, differently, with either value so saying.
    An ``add`` answer so saying beside an order ID (``{"order": 77,
    "status": "error", "message": "Not enough funds"}``) is as that ID
    beside ``{"error": ...}``: placed or not, it cannot be told."""
    if not isinstance(data, dict):
        return False
    status, success = data.get("status"), data.get("success", True)
    if isinstance(status, Twice) or isinstance(success, Twice):
        # Given twice, differently ("status": "error", "status": "fail";
        # "success": false, "success": true): either one failing is failure.
        statuses, successes = each_given(status), each_given(success)
        return any(map(_fails, statuses)) or any(map(_unsuccessful, successes))
    return _fails(status) or _unsuccessful(success)


def _fails(status: Any) -> bool:
    return type(status) is str and is_error_word(status)


def _unsuccessful(success: Any) -> bool:
    return type(success) in (bool, int, str) and success in _FALSE

"""A success envelope around an answer, as scripts writing every answer in
one frame send it: ``{"status": "success", "data": {...}}``, ``{"success":
true, "result": [...]}``, ``{"status": "ok", "message": "OK", "response":
...}``. Pure; looked at by :mod:`tracker.panel.script_shapes` once the
usual reading has failed (a multi status) or at one look per answer (the
other calls): never per item. An error envelope's words to
``refill_status`` that are no refill's (:func:`no_refill_words`) judged
here too."""

from __future__ import annotations

from typing import Any

from tracker.panel import refusals

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

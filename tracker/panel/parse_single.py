"""Tolerant parser of the answer to ``status`` with ``order=``: one order's.

Pure functions, held to the rules of :mod:`tracker.panel.parse`: every shape
in shared/api-v2.md is accepted; anything else raises :class:`BadAnswerError`
(or :class:`PanelAnswerError` for the panel's own ``{"error": ...}``).

A bare JSON string for the whole answer (``"Incorrect order ID"``, ``"Invalid
API key"``), as the scripts that write an item's error so write this answer
too, is the panel's words: read as ``{"error": <the string>}`` would be, or,
for a status spelling (``"Completed"``), as that word in a multi answer's item
(:func:`tracker.panel.parse._bare`). A string of no words (empty, a web page)
stays a broken answer.
"""

from __future__ import annotations

from typing import Any

from tracker.errors import BadAnswerError, MisfiledAnswerError, RateLimitedError, TransientError
from tracker.panel.ids import id_shown
from tracker.panel.models import OrderStatus
from tracker.panel.notices import looks_like_html
from tracker.panel.parse import (
    _bare,
    _expect_dict,
    _named_order,
    _says_nothing,
    came_back,
    parse_order_status,
)
from tracker.panel.refusals import (
    error_text,
    is_busy,
    is_key_refusal,
    is_rate_limit,
    raise_for_error,
)
from tracker.panel.statuses import FAILED, normalize_order_status
from tracker.panel.values import short


def parse_status_single(order_id: int, data: Any) -> OrderStatus:
    """Given the answer to ``status`` with ``order``, return its OrderStatus.

    An answer naming another order is no news of this one, its error
    included: ``{"error": "Order not found", "order": 79}`` to ``order=78``
    would have made order 78 unknown (and given up in time) for another
    order's words. A refusal of the key stays one, whatever it names. A
    bare string: see the module's docstring."""
    if isinstance(data, str):
        return _bare_answer(order_id, data)
    message = error_text(data)
    if message is None or not is_key_refusal(message):
        _check_named(order_id, data)
    raise_for_error(data)  # past it, the check above ran: no key refusal
    result = parse_order_status(order_id, _expect_dict(data, "status"))
    if _says_nothing(result):  # {} or {"status": ""}: a broken answer, not the order's news
        raise BadAnswerError(f"status answered without a status: {short(data, 80)}")
    return result


def _check_named(order_id: int, data: Any) -> None:
    """Raise MisfiledAnswerError when ``data`` is an item naming another order."""
    named = _named_order(data)
    if named is not None and named != order_id:  # another order's answer: not this one's news
        said = id_shown(data.get("order"))  # "78.0" too: no order ID at all
        raise MisfiledAnswerError(f"answered order {said} when asked for order {order_id}")


def _bare_answer(order_id: int, text: str) -> OrderStatus:
    """Given a bare JSON string answering ``order=``, return or raise what the
    same words would give: a status spelling the order's status, as in a
    multi answer's item (Error/Fail/Failed the panel's error there too);
    busy words the panel busy, as the client reads them in ``{"error": ...}``
    before any parser (never an order's error); any other words raised as
    ``{"error": <the string>}`` is (the key's refusal an AuthError; the
    caller tells what else they mean)."""
    words = error_text({"error": text})
    if not words or looks_like_html(text.encode("utf-8", "replace")):
        raise BadAnswerError(f"expected an object for status, got {came_back(text)}")
    status, known = normalize_order_status(text)
    if known and status != FAILED:
        return _bare(order_id, text)
    if is_busy(words):
        raise (RateLimitedError if is_rate_limit(words) else TransientError)(f"panel busy: {words}")
    return parse_status_single(order_id, {"error": text})

"""Tolerant parser of the answer to ``status`` with ``order=``: one order's.

Pure functions, held to the rules of :mod:`tracker.panel.parse`: every shape
in shared/api-v2.md is accepted; anything else raises :class:`BadAnswerError`
(or :class:`PanelAnswerError` for the panel's own ``{"error": ...}``).
"""

from __future__ import annotations

from typing import Any

from tracker.errors import BadAnswerError, MisfiledAnswerError
from tracker.panel.ids import id_shown
from tracker.panel.models import OrderStatus
from tracker.panel.parse import _expect_dict, _named_order, _says_nothing, parse_order_status
from tracker.panel.refusals import error_text, is_key_refusal, raise_for_error
from tracker.panel.values import short


def parse_status_single(order_id: int, data: Any) -> OrderStatus:
    """Given the answer to ``status`` with ``order``, return its OrderStatus.

    An answer naming another order is no news of this one, its error
    included: ``{"error": "Order not found", "order": 79}`` to ``order=78``
    would have made order 78 unknown (and given up in time) for another
    order's words. A refusal of the key stays one, whatever it names."""
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

"""Tolerant parser of the answer to ``status`` with ``order=``: one order's.

Pure functions, held to the rules of :mod:`tracker.panel.parse`: every shape
in shared/api-v2.md is accepted; anything else raises :class:`BadAnswerError`
(or :class:`PanelAnswerError` for the panel's own ``{"error": ...}``).

A bare JSON string for the whole answer (``"Incorrect order ID"``, ``"Invalid
API key"``), as the scripts that write an item's error so write this answer
too, is the panel's words: read as ``{"error": <the string>}`` would be, or,
for a status spelling (``"Completed"``), as that word in a multi answer's item
(:func:`tracker.panel.parse._bare`). A string of no words (empty, a web page)
stays a broken answer. The client meets only those two: any other bare string
is the error object before a parser sees it (:mod:`tracker.panel.bare`, as
every call that only reads), busy words the panel busy there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.errors import BadAnswerError, MisfiledAnswerError, PanelError
from tracker.panel.bare import as_error, is_status_word
from tracker.panel.ids import id_shown, key_id
from tracker.panel.models import OrderStatus
from tracker.panel.parse import (
    _bare,
    _expect_dict,
    _named_order,
    _says_nothing,
    came_back,
    one_row,
    parse_order_status,
    parse_status_multi,
)
from tracker.panel.refusals import error_text, is_key_refusal, raise_for_error
from tracker.panel.script_shapes import held_nothing, opened, unwrapped, wrapped
from tracker.panel.values import as_json


def parse_status_single(order_id: int, data: Any) -> OrderStatus:
    """Given the answer to ``status`` with ``order``, return its OrderStatus.

    An answer naming another order is no news of this one, its error
    included: ``{"error": "Order not found", "order": 79}`` to ``order=78``
    would have made order 78 unknown (and given up in time) for another
    order's words. A refusal of the key stays one, whatever it names. A
    bare string: see the module's docstring."""
    if isinstance(data, str):
        return _bare_answer(order_id, data)
    if held_nothing(data):  # {"status": "success", "data": []}: as [] (never "success")
        data = opened(data)
    data = one_row(wrapped("status", data))  # {"data": {"status": ...}}: read through
    message = error_text(data)
    if message is None or not is_key_refusal(message):
        _check_named(order_id, data)
    raise_for_error(data)  # past it, the check above ran: no key refusal
    listed = _many_shaped(order_id, data) if isinstance(data, list) else None
    if listed is not None:
        return listed
    result = parse_order_status(order_id, _expect_dict(data, "status"))
    if _says_nothing(result):  # {} or {"status": ""}: a broken answer, not the order's news
        read = _many_shaped(order_id, data)
        if read is None:
            raise BadAnswerError(f"status answered without a status: {as_json(data, 80)}")
        return read
    return result


def _many_shaped(order_id: int, data: Any) -> OrderStatus | None:
    """Given an answer to ``order=`` that says nothing as one order's item, return
    the asked order's status when it is shaped as the answer to ``orders=`` is
    (``{"78": {...}}``, ``[{"order": 78, ...}]``: a script reading both fields
    into one list of IDs) and gives the asked order a status; None for any
    other (another order's, an error in the item: no witness judged it).
    Read by the ``orders=`` parser, every check of it made."""
    try:
        item = parse_status_multi([order_id], data).get(order_id)
    except PanelError:
        return None
    return item if item is not None and item.status is not None else None


def _check_named(order_id: int, data: Any) -> None:
    """Raise MisfiledAnswerError when ``data`` is an item naming another order."""
    named = _named_order(data)
    if named is not None and named != order_id:  # another order's answer: not this one's news
        said = id_shown(data.get("order"))  # "+78" too: no order ID at all
        raise MisfiledAnswerError(f"answered order {said} when asked for order {order_id}")


def _bare_answer(order_id: int, text: str) -> OrderStatus:
    """Given a bare JSON string answering ``order=``, return or raise what the
    same words would give: a status spelling the order's status, as in a
    multi answer's item (Error/Fail/Failed the panel's error there too); any
    other words raised as ``{"error": <the string>}`` is (the key's refusal an
    AuthError; the caller tells what else they mean); no words a broken answer."""
    if is_status_word(text):
        return _bare(order_id, text)
    said = as_error(text)
    if said is text:  # no words: nobody's
        raise BadAnswerError(f"expected an object for status, got {came_back(text)}")
    return parse_status_single(order_id, said)


def one_order_shaped(data: Any, asked: Iterable[int] = ()) -> str | None:
    """Given the answer to ``orders=`` (the IDs ``asked``), return what it
    said when it is shaped as one order's answer to ``order=``
    (``{"status": "Completed", "remains": "0"}``: no key an order's ID, no
    error; the panel read one ID or none, whose status that is cannot be
    told); else None. A success envelope around the asked orders' map
    (``{"status": "success", "data": {"7": ...}}``) or nothing (``[]``,
    ``{}``: answering none of them, as bare) is none. One look at
    the top level: any other answer costs nothing more."""
    if type(data) is not dict or "status" not in data or "error" in data:
        return None
    status = data["status"]
    if type(status) is not str or not any(c.isalpha() for c in status):
        return None  # {"status": 100, ...}: a clone's success code
    if any(key_id(key) is not None for key in data):
        return None
    if unwrapped(set(asked), data) is not None or held_nothing(data):  # that map; none
        return None
    return f"answered one order's status to orders=, whose is unknown: {as_json(data, 80)}"

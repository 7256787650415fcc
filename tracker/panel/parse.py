"""Tolerant parsers: JSON values from panel answers into typed values.

Pure functions. Every shape listed in shared/api-v2.md is accepted; anything
else raises :class:`BadAnswerError` (or :class:`PanelAnswerError` for the
panel's own ``{"error": ...}``), never a stray ``KeyError`` or ``TypeError``.
The answers to refill: :mod:`tracker.panel.parse_refills`; to cancel:
:mod:`tracker.panel.parse_cancels`; to refill_status:
:mod:`tracker.panel.parse_refill_status`; to balance and services:
:mod:`tracker.panel.parse_account`; to status with ``order=``:
:mod:`tracker.panel.parse_single`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.errors import BadAnswerError
from tracker.panel import values
from tracker.panel.absurd import unread_count
from tracker.panel.add_shapes import as_sent, placed, placed_row
from tracker.panel.amounts import bare_amount
from tracker.panel.body import (  # noqa: F401  (the envelope, used as parse.X)
    decode_document,
    decode_json,
)
from tracker.panel.envelopes import says_failure
from tracker.panel.ids import gives_id, key_id, listed_id, named_id, written_id
from tracker.panel.json_decoder import Twice
from tracker.panel.models import OrderStatus, PlacedId
from tracker.panel.not_found import says_order_not_found
from tracker.panel.notices import (  # noqa: F401  (the envelope, used as parse.X)
    Document,
    html_title,
    looks_like_html,
)
from tracker.panel.plain_items import plain_answer, plain_status
from tracker.panel.refusals import add_maybe_placed, answer_status, error_text, raise_for_error
from tracker.panel.script_shapes import unwrapped, wrapped
from tracker.panel.statuses import FAILED, normalize_order_status
from tracker.panel.values import short, to_int, to_text

# --- envelope: decode_json and decode_document live in tracker.panel.body,
# looks_like_html and html_title in tracker.panel.notices; imported above for
# the callers of this module.


def came_back(data: Any) -> str:
    """Given an answer of the wrong shape, return what came back for a message,
    its type and the answer itself (``str: 'Invalid API key'``): a panel's
    words in a bare JSON string are said, as those of a plain-text body are."""
    shown = as_sent(data) if type(data) in (dict, list) else values.shown(data)  # JSON
    return f"{type(data).__name__}: {shown}"


def _expect_dict(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadAnswerError(f"expected an object for {what}, got {came_back(data)}")
    return data


def one_row(data: Any) -> Any:
    """Given the answer to a call about one ID, return its one object when it
    is a list of one (PDO's ``fetchAll()`` of the row asked), else ``data``."""
    return data[0] if type(data) is list and len(data) == 1 and type(data[0]) is dict else data


def _expect_list(data: Any, what: str) -> list[Any]:
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        # Some panels answer an object keyed by ID where others send a list.
        return list(data.values())
    if not isinstance(data, list):
        raise BadAnswerError(f"expected a list for {what}, got {came_back(data)}")
    return data


# --- orders ------------------------------------------------------------------


_UNREADABLE_ITEM = "unreadable status item"
_NO_STATUS = "answer carries no status"


def _says_nothing(report: OrderStatus) -> bool:
    """Return True for the report of an item that says nothing (null, {}, no
    status): not the panel's own words about the order."""
    error = report.error or ""
    return report.status is None and (error == _NO_STATUS or error.startswith(_UNREADABLE_ITEM))


def _said_of(order_id: int, item: Any) -> OrderStatus | None:
    """Given one order's item of a multi answer, return its OrderStatus; None
    when it says nothing (see :func:`_says_nothing`)."""
    report = parse_order_status(order_id, item)
    return None if _says_nothing(report) else report


def parse_order_status(order_id: int, item: Any) -> OrderStatus:
    """Given one order's status object (or an error item), return an OrderStatus."""
    if isinstance(item, str):  # multi-status: a bare "Incorrect order ID", or "Completed"
        return _bare(order_id, item)
    message = error_text(item)
    if message is not None:
        return OrderStatus(order_id=order_id, error=message)
    if not isinstance(item, dict):
        return OrderStatus(order_id=order_id, error=f"{_UNREADABLE_ITEM}: {short(item, 80)}")
    raw = to_text(item.get("status"))
    if raw is None:
        return OrderStatus(order_id=order_id, error=_NO_STATUS)
    status, known = normalize_order_status(raw)
    words = values.sentence(raw) if not known else None
    if words is not None and says_order_not_found(words):
        # "Order not found" where the status goes: the panel's error in words.
        # Kept as a status, the order stayed open for ever and nothing said so;
        # as the item's error it is counted unknown, then given up with an alert.
        return OrderStatus(order_id=order_id, error=words)
    children = item.get("orders")
    child_ids = _child_ids(children) if children else ()
    said = item.get("charge")
    amount = bare_amount(said)
    charge = values.to_charge(amount)
    negative = None  # a cost below 0 is none (values.to_charge): said, not stored
    if charge is None and said is not None and (values.to_decimal(amount) or 0) < 0:
        negative = short(said, 40)
    money = item.get("currency")
    twice: tuple[tuple[str, tuple[str, ...]], ...] = ()  # given twice: neither believed, said
    if isinstance(said, Twice) or isinstance(money, Twice):
        given = (("charge", said), ("currency", money))
        twice = tuple(
            (name, tuple(short(one, 40) for one in value.said))
            for name, value in given
            if isinstance(value, Twice)
        )
    left = item.get("remains")
    remains = to_int(left)
    return OrderStatus(
        order_id=order_id,
        status=status,
        raw_status=raw,
        known_status=known,
        charge=charge,
        start_count=to_int(item.get("start_count")),
        remains=remains,
        currency=values.to_currency(money),
        runs=to_int(item.get("runs")),
        child_orders=child_ids,
        negative_charge=negative,
        twice=twice,
        unread_remains=unread_count(left) if remains is None else None,
    )


def _bare(order_id: int, text: str) -> OrderStatus:
    """Given a bare string where a multi answer puts an order's item: a status
    spelling ("Completed", "cancelled") is the order's status, anything else
    its error. Error/Fail/Failed stay errors: panels send them as item errors."""
    status, known = normalize_order_status(text)
    if not known or status == FAILED:
        return OrderStatus(order_id=order_id, error=short(text))
    return OrderStatus(order_id=order_id, status=status, raw_status=to_text(text))


def _child_ids(children: Any) -> tuple[int, ...]:
    """Given a drip-feed order's ``orders`` (its child order IDs), return the
    usable ones, each read by the rule of a status key (:func:`key_id`:
    1002.0, "1002.0" and " 1002" are 1002); one naming no order ("+1002",
    "1002.5", "1e3") is left out, the order read all the same. A text of
    IDs, "1002,1003" (a script's implode), is read as their list."""
    if type(children) is str:
        children = children.split(",")
    if not isinstance(children, list):
        return ()
    return tuple(i for i in (key_id(c) for c in children) if i is not None)


def _named_order(item: Any) -> int | None:
    """Return the order ID an item names in its own ``order`` field (see
    :func:`~tracker.panel.ids.named_id`: NOT_AN_ID for "+78", "78.5")."""
    return named_id(item.get("order")) if isinstance(item, dict) else None


_UNSEEN: Any = object()  # an order not answered yet in this answer


def _claims(data: dict[str, Any] | list[Any]) -> Iterable[tuple[int | None, int | None, Any]]:
    """Yield (ID of its key, ID its ``order`` field names, item) for each item."""
    if isinstance(data, dict):
        for key, item in data.items():
            # " 78" and "78.0" are 78 (:func:`~tracker.panel.ids.key_id`); a
            # key that is no order ID ("+78", "78.5") is NOT_AN_ID: never an
            # asked ID, so its item is a key nobody asked for: ignored, or
            # ambiguous if its ``order`` names one.
            yield named_id(key), _named_order(item), item
    else:
        for item in data:  # its "order", else its "id" or "order_id"
            yield None, listed_id(item), item


def parse_status_multi(
    requested: Iterable[int], data: Any, *, plain: bool = True
) -> dict[int, OrderStatus]:
    """Given the answer to ``status`` with ``orders``, return statuses by order ID.

    Accepts an object keyed by ID string (values: order, error object or bare
    string) and a list of ``{order, status, ...}``. IDs the panel left out are
    absent from the result; IDs nobody asked for are ignored. Whatever is
    ambiguous is left out too (asked again alone by the caller), never read as
    some order's news: an item whose own ``order`` names another order than
    its key (a panel misfiling answers: neither order is read from it), and an
    order answered twice, differently (two keys naming it, "78" and " 78",
    included). A key or an ``order`` field is an order's ID as
    :func:`~tracker.panel.ids.key_id` reads one ("0078", " 78", "78.0" and
    78.0 are 78); any other ("+78", "78.5") names no asked order: such a key
    is one nobody asked for, and such an ``order`` under an asked key is
    another order's.

    An answer keyed plainly by the asked IDs has each item every field of
    which is plainly well-formed read straight (:mod:`tracker.panel.plain_items`,
    the same result); ``plain=False`` reads every item in full (the tests
    comparing both).
    """
    if isinstance(data, dict):
        # A top-level error speaks for the whole call, beside order items too
        # ({"101": {"status": "Canceled"}, "error": "Invalid API key"}): none
        # of those items is read as an order's news (refill answers likewise).
        raise_for_error(data)
    if not isinstance(data, dict | list):
        raise BadAnswerError(f"expected an object or list for status, got {came_back(data)}")
    wanted = set(requested)
    said = _plainly(wanted, data, plain)
    if said is None and (inner := unwrapped(wanted, data)) is not None:
        # {"orders": {...}}, {"data": [...]}: one key that is no order's ID
        # wrapping the answer (its top-level error speaking for the call).
        raise_for_error(inner)
        data = inner
        said = _plainly(wanted, data, plain)
    if said is not None:
        return said
    named: set[int] = set()  # asked IDs the answer names at all
    found: dict[int, OrderStatus | None] = {}  # None: ambiguous
    for keyed, claimed, item in _claims(data):
        if keyed is not None and claimed is not None and keyed != claimed:
            for other in {keyed, claimed} & wanted:  # filed under another order's key
                named.add(other)
                found[other] = None
            continue
        order_id = keyed if keyed is not None else claimed
        if order_id not in wanted or order_id is None:
            continue
        named.add(order_id)
        if isinstance(item, Twice):  # its key given twice, differently
            found[order_id] = None
            continue
        report = (plain and plain_status(order_id, item)) or parse_order_status(order_id, item)
        if _says_nothing(report):
            continue
        seen = found.get(order_id, _UNSEEN)
        if seen is _UNSEEN:  # the usual case: compared with nothing
            found[order_id] = report
        elif seen is not None and seen._replace(raw_status=None) != report._replace(
            raw_status=None
        ):
            found[order_id] = None  # answered twice, differently
    if not named:
        # {}, [], a list of numbers, unrelated keys: never "every ID is unknown".
        raise BadAnswerError(f"answered {_none_of(wanted)}: {as_sent(data, 80)}")
    # An item null, {} or without a status says nothing about its order: left
    # out (asked again alone), and a broken answer when every item is so.
    said = {order_id: r for order_id, r in found.items() if r is not None}
    if not said:
        raise BadAnswerError(f"answered {_none_of(wanted, ' readable')}: {as_sent(data, 80)}")
    return said


def _plainly(wanted: set[int], data: Any, plain: bool) -> dict[int, OrderStatus] | None:
    """Return the statuses of an answer keyed plainly by the asked IDs
    (:func:`~tracker.panel.plain_items.plain_answer`), else None."""
    return plain_answer(wanted, data, _said_of) if plain and type(data) is dict else None


def _none_of(wanted: set[int], readable: str = "") -> str:
    """Given the IDs asked, return what an answer naming none of them said
    of them: "none of the 2 asked IDs", "nothing about the asked ID" (one
    ID asked: "none of the 1 asked IDs" read as a slip)."""
    if len(wanted) == 1:
        return f"nothing{readable} about the asked ID"
    return f"none of the {len(wanted)} asked IDs" + (" readably" if readable else "")


def parse_add(data: Any) -> PlacedId:
    """Given the answer to ``add``, return the new order ID.

    The panel's ``{"error": ...}`` raises PanelAnswerError (nothing placed);
    any other answer without a usable ID (:func:`~tracker.panel.ids.written_id`:
    " 23501 " and 23501.0 are 23501; in a list of that one object, ``placed_row``),
    an error beside an order ID (or an ``order`` given twice, one an ID), or an error
    that may follow an order placed (:func:`~tracker.panel.refusals.add_maybe_placed`)
    raises BadAnswerError: outcome unknown.
    Words beside the ID that read as a refusal ride on it (``PlacedId.also_said``).
    """
    inner = wrapped("add", data)  # {"data": {"order": 77}}: read as {"order": 77}
    shown = data if inner is not data else placed_row(data)  # the whole answer said
    data = placed_row(inner)
    order_id = written_id(data.get("order")) if isinstance(data, dict) else None
    given = (
        order_id is not None or isinstance(data, dict) and gives_id(written_id, data.get("order"))
    )
    if given and (error_text(data) is not None or says_failure(data)):  # "order" twice too
        raise BadAnswerError(f"answered an order ID and an error: {as_sent(shown)}")
    if (words := add_maybe_placed(data)) is not None:
        raise BadAnswerError(words, status=answer_status(data))
    raise_for_error(data)
    if order_id is None:
        raise BadAnswerError(f"answered without a usable order ID: {as_sent(shown)}")
    return placed(order_id, data, shown)

"""The usual status item read straight: what :func:`tracker.panel.parse.
parse_order_status` makes of an item every field of which is plainly
well-formed (a known status word, numbers as digits, no error, no child
orders), made in a third of its time; None for any other item, which the
full path then reads. Pure.

Run for every order of every poll: an answer of 100 well-formed items took
~300 µs to read item by item through the general readers. Whatever this
returns is what the full path returns for the same item (tests/test_parse_plain.py
feeds both the same generated items, well-formed and hostile).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from tracker.panel.models import OrderStatus
from tracker.panel.statuses import normalize_order_status
from tracker.panel.values import MAX_STORED_TEXT

# A charge as nearly every panel writes it ("0.90000", "12"): the shape
# values.to_decimal reads as is, without a sign (a negative charge is none:
# the full path says so).
_PLAIN_CHARGE = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,12})?")
_INT_MAX = 2**63  # SQLite's INTEGER range, as values.to_int reads it
_CHARGE_MAX = 10**15  # values.to_decimal's bound for an int


class _Not(enum.Enum):
    PLAIN = 0  # a field not plainly well-formed: the item is read in full


NOT_PLAIN: Final = _Not.PLAIN
_made = tuple.__new__


def _count(value: Any) -> int | None | _Not:
    """Return a count field's int (or None when left out); NOT_PLAIN when it
    is not plainly one (the full path reads it)."""
    if value is None:
        return None
    if type(value) is int:
        return value if -_INT_MAX <= value < _INT_MAX else NOT_PLAIN
    if type(value) is not str or not value.isascii() or len(value) > 18:
        return NOT_PLAIN
    if value.isdigit() or (value[:1] == "-" and value[1:].isdigit()):  # "-2": over-delivered
        return int(value)
    return NOT_PLAIN


def _charge(value: Any) -> Decimal | None | _Not:
    """Return a charge field's Decimal (or None when left out); NOT_PLAIN when
    it is not plainly one."""
    if value is None:
        return None
    kind = type(value)
    if kind is float:
        value = f"{value:.15g}"  # as values.to_decimal reads a float
    elif kind is int:
        return Decimal(value) if 0 <= value < _CHARGE_MAX else NOT_PLAIN
    elif kind is not str:
        return NOT_PLAIN
    if _PLAIN_CHARGE.fullmatch(value):
        return Decimal(value)  # no sign: "-0.00" is read in full
    return NOT_PLAIN


def plain_status(order_id: int, item: Any) -> OrderStatus | None:
    """Given one order's item of a status answer, return its OrderStatus when
    every field of it is plainly well-formed, else None (read it in full)."""
    if type(item) is not dict or "error" in item or "orders" in item:
        return None
    raw = item.get("status")
    if type(raw) is not str or len(raw) > MAX_STORED_TEXT:
        return None
    raw = raw.strip()
    if not raw:
        return None
    status, known = normalize_order_status(raw)
    if not known:
        return None
    currency = item.get("currency")
    if currency is not None:
        if type(currency) is not str or len(currency) > MAX_STORED_TEXT or not currency.isascii():
            return None  # beyond ASCII: stored in capitals (values.to_currency)
        currency = currency.strip() or None
    charge = _charge(item.get("charge"))
    start_count = _count(item.get("start_count"))
    remains = _count(item.get("remains"))
    runs = _count(item.get("runs"))
    if charge is NOT_PLAIN or start_count is NOT_PLAIN or remains is NOT_PLAIN or runs is NOT_PLAIN:
        return None
    # Every field given: the tuple made without OrderStatus.__new__'s defaults.
    said = (
        order_id,
        status,
        raw,
        True,
        charge,
        start_count,
        remains,
        currency,
        runs,
        (),
        None,
        None,
        (),  # a charge or currency given twice is no str: read in full
        None,  # a remains read (or left out)
    )
    return _made(OrderStatus, said)


def plain_answer(
    wanted: set[int], data: dict[str, Any], read: Callable[[int, Any], OrderStatus | None]
) -> dict[int, OrderStatus] | None:
    """Given the IDs asked and a status answer keyed by ID, return statuses by
    order ID when every key is an asked ID written plainly ("23501": no
    leading zero, so no two keys name one order) and every item's ``order``
    field, if any, names its key's order: each item plainly well-formed read
    by :func:`plain_status`, any other by ``read`` (the full path: None for
    an item that says nothing). None for any other answer, or one whose every
    item says nothing (read it in full)."""
    found: dict[int, OrderStatus] = {}
    for key, item in data.items():
        if type(key) is not str or not (key.isdigit() and key.isascii() and len(key) <= 18):
            return None  # an int key (no JSON's), "78.0", "٧٨": read in full
        if key[0] == "0":
            return None
        order_id = int(key)
        if order_id not in wanted:
            return None
        if type(item) is dict:
            named = item.get("order")  # 23501 or "23501" as its key; 23501.0 is no ID
            if not (named is None or (named == order_id and type(named) is int) or named == key):
                return None
        elif isinstance(item, dict):  # json_decoder.Twice: a key given twice
            return None
        report = plain_status(order_id, item) or read(order_id, item)
        if report is not None:
            found[order_id] = report
    return found or None

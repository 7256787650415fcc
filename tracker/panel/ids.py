"""IDs as panels write them (23501 or "23501"): an order's, refill's or
service's read as a usable ID, or as none; the ID a key or ``order`` field
names, by one rule for every answer; an ID said back in a message. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

from tracker.panel.flags import each_given
from tracker.panel.json_decoder import Twice, WrittenFloat
from tracker.panel.values import INVISIBLE, shown

# The largest ID the tracker takes (18 digits): below SQLite's largest
# INTEGER, from which the listings page back.
ID_MAX = 10**18 - 1


def to_id(value: Any) -> int | None:
    """Given an ID as panels issue them (23501 or "23501"), return it as an int;
    None unless it is a whole number from 1 to ID_MAX, written as an int or a
    string of ASCII digits. 0, -7, 12.5, 1e5, "1e5", "12.0", " 7", "ORD-12",
    true and "٣" name no order: unusable, not rounded."""
    if type(value) is int:
        return value if 0 < value <= ID_MAX else None
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 18:
        number = int(value)
        return number if number > 0 else None
    return None


# What may lie around an ID's digits and shows nothing, or as a space: ASCII
# whitespace, a no-break space, the characters that show nothing (a
# zero-width space, a BOM...: redact.layout's format characters).
# Compiled at their first use (~11M instructions of every start otherwise):
# IDs are plain digits in a usual answer.
_AROUND = rf"[ \t\n\r\x0b\x0c\u00a0]|{INVISIBLE}"


@cache
def _padded() -> re.Pattern[str]:
    return re.compile(rf"(?:{_AROUND})*([0-9]+)(?:{_AROUND})*")


@cache
def _padded_key() -> re.Pattern[str]:
    """A whole number as JSON writes a float key ("1001.0": a key is always text)."""
    return re.compile(rf"(?:{_AROUND})*([0-9]+)(?:\.0+)?(?:{_AROUND})*")


# A JSON number is read as a double: every whole number below 2**53 is one
# exactly, so the float read is that number, not a neighbour rounded to it.
_EXACT_FLOAT = 2**53


def written_id(value: Any) -> int | None:
    """Given the order ID an ``add`` answer names, return it as an int: as
    :func:`to_id` reads it, or written with blanks or characters that show
    nothing around its digits (" 23501 ", "23501\\n", "23501\\u00a0"), or as a
    JSON number with a zero fraction (23501.0; 2.35e4 is 23500, as exact).
    None for anything else: 23501.5, 1e400, "23501.0", "235 01", "+23501",
    and 23501.00000000000001, which reads as the double 23501.0 but was not
    written a whole number (its text kept: :class:`WrittenFloat`)."""
    if isinstance(value, float):
        whole = value.is_integer() and 0 < value < _EXACT_FLOAT and written_whole(value)
        return int(value) if whole else None
    if type(value) is str and not (value.isascii() and value.isdigit()):
        found = _padded().fullmatch(value)
        return to_id(found[1]) if found else None
    return to_id(value)


def written_whole(value: float) -> bool:
    """Given a float that is a whole number, return False when its JSON text
    was not one (a :class:`WrittenFloat` "23501.00000000000001"; "23501.000"
    and "2.3501e4" are whole), True otherwise."""
    if not isinstance(value, WrittenFloat):
        return True
    number = Decimal(value.text)  # exact: every JSON number's text is a Decimal's
    return number == number.to_integral_value()


def key_id(key: Any) -> int | None:
    """Given a key of an answer or an ``order`` field, return the order ID it
    names: as :func:`written_id` reads one (" 1001", 1001.0), a whole number
    written as a float key ("1001.0") too; None for any other ("1001.5",
    "+1001", "7_8", "1e3")."""
    if isinstance(key, float):
        return written_id(key)
    if type(key) is not str or (key.isascii() and key.isdigit()):
        return to_id(key)
    found = _padded_key().fullmatch(key)
    return to_id(found[1]) if found else None


# What a key or ``order`` field that is there but is no ID as panels write them
# ("+78", "7_8", "78.5", true) reads as: never an asked ID (to_id is never 0),
# so no order's, and set against an ID it names another order than that one.
NOT_AN_ID = 0


def named_id(value: Any) -> int | None:
    """Given a key or an ``order`` field of a status, refill or cancel answer,
    return the ID it names, by one rule for all (:func:`key_id`: "0078",
    " 78", "78.0" and 78.0 name order 78); :data:`NOT_AN_ID` when it names
    none usable; None when there is none (null, or "": PHP scripts write an
    empty string for a field they have no value for)."""
    if value is None or value == "":
        return None
    return key_id(value) or NOT_AN_ID


def listed_id(item: Any) -> int | None:
    """Given an item of a multi-status answer's list, return the order ID it
    names (:func:`named_id`): by its ``order`` field, else by ``id`` or
    ``order_id`` (scripts listing their rows) when those name one ID; two
    that differ name no asked order (:data:`NOT_AN_ID`: which?)."""
    if type(item) is not dict:
        return None
    said = named_id(item.get("order"))
    if said is not None or ("id" not in item and "order_id" not in item):
        return said
    ids = {named_id(item.get("id")), named_id(item.get("order_id"))} - {None}
    return ids.pop() if len(ids) == 1 else (NOT_AN_ID if ids else None)


def id_shown(value: Any) -> str:
    """Given a key or ID field, return it for a message: the ID (78) when it is
    one, else as sent, quoted ('78.0'); one given twice, differently, in
    words (``<answered "order" twice, differently: 5 and 6>``)."""
    if isinstance(value, Twice):
        return repr(value)
    number = to_id(value)
    return str(number) if number is not None else shown(value, 40)


def gives_id(read: Callable[[Any], int | None], value: Any) -> bool:
    """Return True when ``value`` is an ID as ``read`` reads one, or a key
    given twice, differently, one of whose values is (``"refill": 55,
    "refill": 56``): no ID to use, but one maybe made, never a plain refusal."""
    return any(read(given) is not None for given in each_given(value))


def ids_given(value: Any) -> set[int]:
    """Return the orders a key or ``order`` field given twice, differently,
    names (:func:`named_id`, each value); of any other value, what it names."""
    return {named for given in each_given(value) if (named := named_id(given))}

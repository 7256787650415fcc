"""Whether a 4xx answer to a multi ``refill_status``, ``refill`` or
``cancel`` call still carries the panel's word on an item: a script that
sets HTTP 400 (404, 422...) on the whole answer when any ID in it is bad,
and answers every other one all the same; whether one to a single
``status`` or ``refill_status`` call says its status (:func:`holds_one`).

Such an answer is read as the same answer with a 200 (each item's words its
own, the code kept as data): :mod:`tracker.panel.interpret`. It is so only
when an item says what the panel has or did: a refill's status (a known
spelling, not Error/Fail/Failed, which panels send as their error words), a
refill ID given, a cancel accepted. An answer of errors alone stays what it
was (a broken answer to a read; "outcome unknown" to ``refill`` and
``cancel``), and so does an item no parser reads: never taken for a refusal
of an order the panel may have acted on. But for a multi ``refill`` or
``cancel`` answer each item of which is an order's refusal and nothing else,
every one an order asked (:func:`refuses_each`): the panel said why for each,
so it is read as with a 200 too, each order's refusal its own.

A 429 (or a Cloudflare challenge) to ``add``, ``refill`` or ``cancel`` is
"never reached the panel", sent again, unless its JSON carries an order ID,
a refill ID or a cancel's yes, beside an error or not (:func:`acted`): the
panel's script ran, so it is read as with a 200 too, never sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker.panel.bare import is_status_word
from tracker.panel.flags import each_given, says_yes
from tracker.panel.ids import gives_id, ids_given, named_id, to_id, written_id
from tracker.panel.json_decoder import Twice
from tracker.panel.refusals import error_names_order, error_names_refill, error_text, refuses
from tracker.panel.values import sentence

Item = tuple[str | None, Any]  # (its key in an object keyed by ID; None in a list, the item)


def holds_items(action: str, data: Any) -> bool:
    """Whether ``data``, a 4xx answer to ``action`` (``refill_status``,
    ``refill``, ``cancel``), is a list or an object keyed by IDs of which at
    least one item says what the panel has or did (see the module)."""
    said = _SAYS.get(action)
    items = _items(data)
    return said is not None and items is not None and any(said(item) for item in items)


def refuses_each(action: str, data: Any, asked: set[int]) -> bool:
    """Whether ``data``, a 4xx answer to a multi ``refill`` or ``cancel`` call
    that asked the orders ``asked``, is a list or an object keyed by IDs each
    item of which refuses an order asked and says nothing else: its order
    (in the item or as its key) and the panel's error, ``{"order": 5,
    "refill": {"error": "Refill is disabled for this service"}}``, ``{"order":
    5, "error": ...}``, ``{"5": {"error": ...}}``, ``{"5": "Incorrect order
    ID"}``. An item for an order not asked, or naming another than its key,
    and one with anything beside its error (a refill ID, a yes or a no, any
    other field) are not: the panel may have acted on an order."""
    items = _items(data)
    if action not in ("refill", "cancel") or not items or not asked:
        return False
    return all(_order_of(pair) in asked and _refusal(pair, action) for pair in items)


def _order_of(pair: Item) -> int | None:
    """The order an item is for: its key's, or its ``order``'s; None when it
    names none, or its key one and its ``order`` another."""
    key, item = pair
    keyed = named_id(key) if key is not None else None
    said = named_id(item.get("order")) if type(item) is dict else None
    if keyed is not None and said is not None and keyed != said:
        return None
    return keyed if said is None else said


def _refusal(pair: Item, field: str) -> bool:
    """Whether an item holds its order's refusal and nothing else: an error
    object (at the top, or in ``field``: ``refill``, ``cancel``), or words
    that plainly refuse there or under the order's ID."""
    key, item = pair
    if type(item) is str:  # {"5": "Incorrect order ID"}
        return key is not None and _words(item)
    if type(item) is not dict or not set(item) <= {"order", "error", field}:
        return False
    value = item.get(field)
    if value is not None and not _words(value):
        return False  # a refill ID, a yes, a no, words that refuse nothing
    return value is not None or error_text(item) is not None


def _words(value: Any) -> bool:
    """An error object and nothing else (``{"error": "Incorrect order ID"}``)
    or words that plainly refuse (``"Incorrect order ID"``)."""
    if type(value) is dict:
        return set(value) == {"error"} and error_text(value) is not None
    words = sentence(value)
    return words is not None and refuses(words)


def holds_one(action: str, data: Any) -> bool:
    """Whether ``data``, a 4xx answer to a call for one order's or one
    refill's status (``status`` with ``order=``, ``refill_status`` with
    ``refill=``), says its status in a known word, as the same call's answer
    with a 200 would: ``{"status": "In progress", ...}``, ``{"refill": 71,
    "status": "Completed"}`` or a bare ``"Completed"``; no error beside it.
    Error/Fail/Failed (a framework's ``{"status": "error", "message": ...}``),
    an unknown word and an object keyed by IDs (a multi answer's) are not."""
    if action not in ("status", "refill_status"):
        return False
    if type(data) is str:
        return is_status_word(data, action)
    if type(data) is not dict or _items(data) is not None or error_text(data) is not None:
        return False
    status = data.get("status")
    return type(status) is str and is_status_word(status, action)


def acted(action: str, data: Any) -> bool:
    """Whether ``data``, an answer to ``add``, ``refill`` or ``cancel`` that
    came with a 429 or a Cloudflare challenge, says the panel may have done
    something: an order ID (``{"order": 23501}``, or for its error,
    ``{"error": 23501}``), a refill ID (one order's
    ``{"refill": 71}``, or a multi answer's item; or for its error), a cancel's yes, beside an
    error or not. Then the panel's script ran: the answer is read as with a
    200 (:mod:`tracker.panel.interpret`; beside an error, the parsers'
    "outcome unknown"), never sent again. Anything else (``{"error": "Too
    many requests"}``, items of errors alone, a page) is the rate limit's:
    nothing done, sent again."""
    if action in ("add", "refill") and type(data) is dict:
        name, read = ("order", written_id) if action == "add" else ("refill", to_id)
        if gives_id(read, data.get(name)):  # given twice, differently, too
            return True
        if (error_names_order if action == "add" else error_names_refill)(data):
            return True  # {"error": 23501}: the order (the refill) made, maybe
    said = _GIVEN.get(action)
    items = _items(data)
    return said is not None and items is not None and any(said(item) for item in items)


def _items(data: Any) -> list[Item] | None:
    """A multi answer's items: a list's, or an object's keyed by IDs alone."""
    if type(data) is list:
        return [(None, item) for item in data]
    if type(data) is dict and data and all(str(k).strip().isdigit() for k in data):
        return list(data.items())
    return None


def _a_status(pair: Item) -> bool:
    """A refill's status: ``{"refill": 71, "status": "Completed"}`` in a
    list, ``{"status": "Completed"}`` or ``"Completed"`` under its ID."""
    key, item = pair
    if isinstance(item, str):
        return key is not None and is_status_word(item, "refill_status")
    if not isinstance(item, dict) or (key is None and item.get("refill") in (None, "")):
        return False
    status = item.get("status")
    return isinstance(status, str) and is_status_word(status, "refill_status")


def _named(pair: Item) -> bool:
    """Whether an item is an order's: under its ID, or naming it (``order``)."""
    key, item = pair
    return isinstance(item, dict) and (key is not None or bool(ids_given(item.get("order"))))


def _a_refill_given(pair: Item) -> bool:
    """A refill ID given an order, no error beside it: ``{"order": 5, "refill": 71}``."""
    item = pair[1]
    return (
        _named(pair)
        and to_id(item.get("refill")) is not None
        and error_text(item) is None
        and error_text(item.get("refill")) is None
    )


def _a_cancel_accepted(pair: Item) -> bool:
    """A cancel accepted, no error beside it: ``{"order": 5, "cancel": 1}``,
    or ``1`` under the order's ID."""
    key, item = pair
    if key is not None and not isinstance(item, dict):
        return says_yes(item)
    return _named(pair) and says_yes(item.get("cancel")) and error_text(item) is None


_SAYS: dict[str, Callable[[Item], bool]] = {
    "refill_status": _a_status,
    "refill": _a_refill_given,
    "cancel": _a_cancel_accepted,
}


def _an_id(pair: Item) -> bool:
    """A refill ID given an order, an error beside it or not, or for its
    error (``{"order": 5, "error": 71}``)."""
    if not _named(pair):
        return False
    return gives_id(to_id, pair[1].get("refill")) or error_names_refill(pair[1])


def _a_yes(pair: Item) -> bool:
    """A cancel's yes, an error beside it or not: ``1`` under the order's
    ID, or an item's ``cancel``."""
    key, item = pair
    if key is not None and not isinstance(item, dict):
        return says_yes(item)
    if key is not None and isinstance(item, Twice):  # "5": 1, "5": 0 under its ID
        return any(map(says_yes, item.said))
    return _named(pair) and any(map(says_yes, each_given(item.get("cancel"))))


# What a 429's item may say was done, beside an error or not (:func:`acted`).
_GIVEN: dict[str, Callable[[Item], bool]] = {"refill": _an_id, "cancel": _a_yes}

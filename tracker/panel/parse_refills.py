"""Tolerant parsers of the answers to ``refill``.

Pure functions, held to the rules of :mod:`tracker.panel.parse`: every shape
in shared/api-v2.md is accepted; anything else raises :class:`BadAnswerError`
(or :class:`PanelAnswerError` for the panel's own ``{"error": ...}``). The
answers to ``refill_status``: :mod:`tracker.panel.parse_refill_status`; to
``cancel``: :mod:`tracker.panel.parse_cancels` (its parser still reachable
here by its old name).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.errors import AuthError, BadAnswerError, NoOrderNamedError, PanelError
from tracker.panel import values
from tracker.panel.add_shapes import said_back
from tracker.panel.envelopes import holds_nothing, says_failure
from tracker.panel.error_words import flag_alone, no_words_said, says_no_words
from tracker.panel.ids import NOT_AN_ID, gives_id, id_shown, ids_given, named_id, to_id
from tracker.panel.json_decoder import Twice
from tracker.panel.models import RefillRequest
from tracker.panel.parse import _expect_dict, _expect_list, one_row
from tracker.panel.parse_cancels import parse_cancel as parse_cancel  # its old home
from tracker.panel.refusals import (
    answer_status,
    error_names_refill,
    error_text,
    is_busy,
    is_key_refusal,
    is_panel_fault,
    raise_for_error,
    refuses,
)


def _refill_answer(order_id: int, answer: dict[str, Any]) -> RefillRequest:
    """Given an answer (or a multi item) to a refill request: accepted with a
    usable ``refill`` ID (:func:`to_id`) and no error; refused with an error and
    no ID, or words in ``refill`` that plainly refuse ("Incorrect order ID");
    anything else unknown (an ID beside an error, 0, -7, "1e5", "Your refill
    request has been accepted", missing, an error in words of the panel's
    server failing: "SQLSTATE...", said after creating it maybe, a refill ID
    for the error: ``{"error": 5001}``), as the refill may exist all the same."""
    value = answer.get("refill")
    if isinstance(value, Twice):  # "refill": 7, "refill": 8: either, or both, may exist
        if error_text(answer) is None and not says_failure(answer):
            return RefillRequest(order_id=order_id, error=value["error"], unknown=True)
        why = f"answered a refill ID and an error: {said_back(answer)}"  # the error said too
        return RefillRequest(order_id=order_id, error=why, unknown=True)
    # As the panel wrote it: "007" is asked for as "007", never as 7 (its text
    # may be all the panel matches; see _asked_as for answers naming it 7).
    refill_id = str(value) if to_id(value) is not None else None
    message = error_text(value) or error_text(answer)
    if refill_id is not None and message is None and not says_failure(answer):
        return RefillRequest(order_id=order_id, refill_id=refill_id)
    if refill_id is None and (error_names_refill(answer) or error_names_refill(value)):
        why = _id_for_error(answer)  # a refill made, maybe
        return RefillRequest(order_id=order_id, error=why, unknown=True)
    wordless = says_no_words(answer) or (message is not None and flag_alone(value))
    if refill_id is None and (wordless or (message is not None and flag_alone(answer))):
        return RefillRequest(order_id=order_id, error=no_words_said(answer), unknown=True)
    if refill_id is None and message is not None:  # its server's fault: maybe made
        return RefillRequest(order_id=order_id, error=message, unknown=is_panel_fault(message))
    words = values.sentence(value) if message is None else None
    if words is not None and refuses(words):
        return RefillRequest(order_id=order_id, error=words)
    if refill_id is not None:
        why = f"answered a refill ID and an error: {said_back(answer)}"
    else:
        why = f"answered without a usable refill ID: {said_back(answer)}"
    return RefillRequest(order_id=order_id, error=why, unknown=True)


def _id_for_error(answer: dict[str, Any]) -> str:
    """What is said of an answer giving a refill ID for its error: as the
    panel wrote it, its HTTP code (not 200) beside (``{"error": "HTTP 400:
    5001"}`` hid the ID's place)."""
    given = getattr(answer, "given", None)  # a non-200's error, before "HTTP 400: "
    status = answer_status(answer)
    code = f" (HTTP {status})" if status is not None else ""
    written = {**answer, "error": given} if given is not None else answer
    return f"answered a refill ID for its error{code}: {values.as_json(written)}"


def parse_refill_single(order_id: int, data: Any) -> RefillRequest:
    """Given the answer to ``refill`` with ``order``, return the RefillRequest.

    A refusal (``{"error": ...}``) is a RefillRequest with ``error`` set,
    except key/account refusals, which raise AuthError; an error beside a
    refill ID is unknown (see :func:`_refill_answer`).
    """
    data = one_row(data)
    message = error_text(data)
    if message is not None and is_key_refusal(message) and not gives_id(to_id, data.get("refill")):
        raise AuthError(message)
    if isinstance(data, list) or (isinstance(data, dict) and not {"refill", "error"} & set(data)):
        listed = _many_shaped(order_id, data)
        if listed is not None:
            return listed
    named = named_id(_expect_dict(data, "refill").get("order"))  # "+78": another order
    if named is not None and named != order_id:  # another order's answer: which was refilled?
        why = f"answered for order {id_shown(data.get('order'))}: {said_back(data)}"
        return RefillRequest(order_id=order_id, error=why, unknown=True)
    return _refill_answer(order_id, data)


def _many_shaped(order_id: int, data: Any) -> RefillRequest | None:
    """Given an answer to ``refill`` with ``order=`` that has no ``refill`` or
    ``error`` of its own, return the asked order's refill when it is shaped
    as the answer to ``orders=`` is (``[{"order": 78, "refill": 5}]``,
    ``{"78": {"refill": 5}}``: a script reading both fields into one list of
    IDs) and the multi reading of it is sure (a refill ID, or a plain
    refusal of the order's, not of the key nor the panel busy); None for
    any other (the refill unknown, as before)."""
    try:
        found = parse_refill_multi([order_id], data)
    except PanelError:
        return None
    mine = [item for item in found if item.order_id == order_id]
    if len(mine) != 1 or mine[0].unknown:
        return None
    error = mine[0].error
    return None if error and (is_key_refusal(error) or is_busy(error)) else mine[0]


def parse_refill_multi(requested: Iterable[int], data: Any) -> list[RefillRequest]:
    """Given the order IDs asked with ``orders`` and the answer to ``refill``,
    return one RefillRequest per asked order an item names (orders nobody
    asked about are left out, as in status and cancel answers): by its ``order``
    field or, in an object keyed by order ID (as multi ``status`` answers),
    by its key when that is an asked order's and the item names none (no
    ``order``, null or ""), as ``{"78": {"refill": 5}}``. A key or ``order``
    that is no ID ("+78": :func:`named_id`) is read for no order, and makes
    the order beside it unknown; so does an asked order keyed twice,
    differently, and each order given a refill ID the answer also gives to
    another (:func:`_shared`). An item with no ``order`` under a key naming no asked order
    (a PHP list index, "0") is read for none. A bare value under an asked
    order's key is read by :func:`_bare_refill` ("Incorrect order ID": its
    refusal; 5, null, []: no answer for it). An answer holding refill IDs
    that name no order (no asked order's key, no item with an ``order``:
    ``[{"refill": 5}]``, a one-order answer ``{"refill": 5}``) raises
    NoOrderNamedError; one with no refill ID at all (``[]``) does not. A
    whole-answer error in words of the panel's server failing ("SQLSTATE..."),
    or a refill ID (``{"error": 5001}``), raises BadAnswerError: the refills
    may have been made (outcome unknown)."""
    # An error beside a refill ID (a one-order shape) refuses nothing for
    # sure: the refill may have been made, for an order it does not name.
    if isinstance(data, dict) and "error" in data and not _carries_refill(data.get("refill")):
        words = error_text(data)
        if words is not None and is_panel_fault(words):  # said after creating them, maybe
            raise BadAnswerError(words, status=answer_status(data))
        if error_names_refill(data):  # {"error": 5001}: a refill made, maybe; whose?
            raise BadAnswerError(_id_for_error(data), status=answer_status(data))
        raise_for_error(data)
    asked = set(requested)
    if holds_nothing(data):  # kept whole for its words ({"message": "Refill queued", "data": []})
        why = f"answered no order's result: {values.as_json(data)}"
        return [RefillRequest(order_id=o, error=why, unknown=True) for o in sorted(asked)]
    if isinstance(data, dict) and any(named_id(key) in asked for key in data):
        entries = list(data.items())  # keyed by order ID: its bare values read too
    else:
        _names_an_order(asked, data)
        items = _expect_list(data, "refill")  # an object keyed by order ID too: keys kept
        keys = list(data) if isinstance(data, dict) else [None] * len(items)
        entries = list(zip(keys, items, strict=True))
    found: dict[int, RefillRequest] = {}
    given: dict[str, set[int]] = {}  # a refill ID as written: the orders given it
    for key, item in entries:
        keyed = named_id(key)
        said = item.get("order") if isinstance(item, dict) else None
        order_id = named_id(said)
        if isinstance(said, Twice) and keyed is None:  # "order": 5, "order": 6: whose refill?
            why = f"answered for order {id_shown(said)}: {said_back(item)}"
            for either in ids_given(said):
                found[either] = RefillRequest(order_id=either, error=why, unknown=True)
            continue
        if keyed is not None and order_id is not None and keyed != order_id:
            why = f"answered under order {id_shown(key)} for order {id_shown(said)}"
            for either in (keyed, order_id):  # which order was refilled cannot be told
                if either != NOT_AN_ID:
                    found[either] = RefillRequest(order_id=either, error=why, unknown=True)
            continue
        if order_id is None and keyed in asked:  # the item is its key's order's
            order_id = keyed
        if order_id:  # neither None nor NOT_AN_ID
            if isinstance(item, Twice):  # keyed twice, differently: either may exist
                answer = RefillRequest(order_id=order_id, error=item["error"], unknown=True)
            elif not isinstance(item, dict):  # a bare value under its key
                bare = _bare_refill(order_id, item)
                if bare is None:  # no answer for it: "not in the panel's answer"
                    continue
                answer = bare
            else:
                answer = _refill_answer(order_id, item)
            seen = found.setdefault(order_id, answer)
            if seen != answer and not seen.unknown:  # a refill ID and a refusal, say
                twice = f"answered twice, differently: {said_back(item)}"
                found[order_id] = RefillRequest(order_id=order_id, error=twice, unknown=True)
            if answer.refill_id is not None:
                given.setdefault(answer.refill_id, set()).add(order_id)
    _shared(found, given)
    # An order nobody asked about is no report (counted as one, it stood in
    # for an asked order the panel left out: see PanelClient._check_acted).
    return [answer for answer in found.values() if answer.order_id in asked]


def _shared(found: dict[int, RefillRequest], given: dict[str, set[int]]) -> None:
    """Make unknown in ``found`` each order given a refill ID the answer also
    gives to another order, whatever became of either's item (an order
    answered twice has no ID stored: the follow-time check of shared IDs
    never saw the clash, the other order followed it alone). IDs compare as
    written: "007" and 7 are two refills, as :mod:`parse_refill_status` asks them."""
    for refill_id, orders in given.items():
        if len(orders) > 1:
            named = " and ".join(str(o) for o in sorted(orders))
            why = f"answered refill ID {refill_id} for orders {named}: whose it is cannot be told"
            for order_id in orders:
                found[order_id] = RefillRequest(order_id=order_id, error=why, unknown=True)


def _names_an_order(asked: set[int], data: Any) -> None:
    """Given a multi ``refill`` answer not keyed by an asked order, raise
    NoOrderNamedError when nothing in it names an order: a list (or an object
    of items) whose items carry no ``order``, or an object of another shape
    (the answer to ``order=``). A number or text is left to the parser, and
    so is an answer with no refill ID in it at all (``[]``, ``{}``, an error
    or status object, a wrapper): it says nothing of how the panel reads
    ``orders=``, and is no reason to ask one order at a time for good. A list
    of lists (``[[78, 5]]``) names none either: which number is which is no
    field's to say."""
    if isinstance(data, list) and all(type(i) is list for i in data) and any(data):
        # [[78, 5]]: an order and its refill, or a refill and its order, or
        # two refills? No field says; order and refill IDs are alike numbers.
        raise NoOrderNamedError(
            "answered a list of lists, no field saying which number is an order "
            f"and which a refill: {said_back(data)}"
        )
    if isinstance(data, dict) and _carries_refill(data.get("refill")):
        items, shaped = [data], False  # {"refill": 100}: the answer to order=
    elif isinstance(data, dict):
        items = list(data.values())
        shaped = all(isinstance(i, dict) for i in items)
    elif isinstance(data, list):
        items, shaped = data, True
    else:
        return
    bare = isinstance(data, list)  # ["501", "502"]: refill IDs, bare
    if not any(
        _carries_refill(i.get("refill")) if isinstance(i, dict) else bare and _carries_refill(i)
        for i in items
    ):
        return
    if shaped and any(isinstance(i, dict) and i.get("order") not in (None, "") for i in items):
        return
    what = "" if shaped else "in the shape of a one-order answer, "
    named = (
        "not naming the order asked"
        if len(asked) == 1
        else f"naming none of the {len(asked)} orders asked"
    )
    raise NoOrderNamedError(f"answered {what}{named}: {said_back(data)}")


def _carries_refill(value: Any) -> bool:
    """Return True when ``value`` may be a refill ID: a number or text, never
    words that plainly refuse ("Refill is disabled for this service"); a key
    given twice, differently, when either value may be."""
    if isinstance(value, Twice):  # "refill": 55, "refill": 56: either may be made
        return any(map(_carries_refill, value.said))
    if isinstance(value, str):
        return value != "" and not refuses(value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bare_refill(order_id: int, value: Any) -> RefillRequest | None:
    """Given a bare value where a keyed multi ``refill`` answer puts an order's
    item: words that plainly refuse (:func:`refuses`: "Incorrect order ID") are
    its refusal, as ``{"order": 79, "error": "Incorrect order ID"}`` is; other
    text ("Refill request accepted", "5") may name a refill that exists:
    unknown. Anything else (5, null, [], "") says nothing of the order: None.
    A refusal of the key raises AuthError: it is no order's refusal (stored
    as one, a refill could be refused for good), and the panel pauses."""
    text = values.to_text(value) if isinstance(value, str) else None
    if text is None:
        return None
    if is_key_refusal(text):
        raise AuthError(text)
    if refuses(text):
        return RefillRequest(order_id=order_id, error=values.short(value))
    why = f"answered without a usable refill ID: {said_back(value)}"
    return RefillRequest(order_id=order_id, error=why, unknown=True)

"""Tolerant parser of the answer to ``cancel``.

Pure functions, held to the rules of :mod:`tracker.panel.parse`: every shape
in shared/api-v2.md is accepted; anything else raises :class:`BadAnswerError`
(or :class:`PanelAnswerError` for the panel's own ``{"error": ...}``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.errors import BadAnswerError
from tracker.panel import values
from tracker.panel.add_shapes import said_back
from tracker.panel.envelopes import holds_nothing, says_alone, says_failure, says_only_no
from tracker.panel.error_words import flag_alone, no_words_said, says_no_words
from tracker.panel.flags import says_no, says_yes, to_bool
from tracker.panel.ids import NOT_AN_ID, id_shown, ids_given, named_id
from tracker.panel.json_decoder import Twice
from tracker.panel.models import CancelAnswer, CancelResult
from tracker.panel.parse import came_back
from tracker.panel.refusals import error_text, is_panel_fault, raise_for_error, refuses

# Said of an order whose cancel was answered in the words of the panel's
# server failing ("SQLSTATE...", "Internal server error"): a script may fail
# after acting, so it may have been canceled; the next status poll tells.
MAYBE_CANCELED = "may or may not be canceled: check the panel; the next poll sees its status"


def maybe_canceled(words: str) -> str:
    """Given a panel's fault words answering a cancel, return what is stored and said."""
    return f"{words} ({MAYBE_CANCELED})"


def _cancel_item(order_id: int, item: dict[str, Any]) -> CancelResult:
    """Given a list item ``{order, cancel}`` (or an object-keyed answer's value as
    one), return its CancelResult: accepted on a plain yes (1, true, "1", "true":
    :func:`flags.says_yes`) with no error; refused on a plain no (0, false, "0"),
    the panel's error, or words in ``cancel`` that plainly refuse ("Incorrect
    order ID"); unknown for anything else, as the order may have been canceled
    all the same: a yes (or what may be one: 2, "yes") beside an error, words
    that do not refuse ("Cancel request accepted"), null, "ok", 2, "2", and
    an error in words of the panel's server failing ("SQLSTATE...": its
    script may have failed after canceling)."""
    value = item.get("cancel")
    if isinstance(value, Twice):  # "cancel": 1, "cancel": 0: it may have been canceled
        return _unknown_cancel(order_id, value["error"])
    message = error_text(value) or error_text(item)
    if message is not None and (flag_alone(value) or flag_alone(item)) and not to_bool(value):
        if says_no(value):  # "cancel": 0 beside: a plain no, in no words
            return CancelResult(order_id=order_id, ok=False)
        return _unknown_cancel(order_id, no_words_said(item))
    if message is None and says_yes(value) and not says_failure(item):
        return CancelResult(order_id=order_id, ok=True)
    if message is not None and not to_bool(value) and is_panel_fault(message):
        return _unknown_cancel(order_id, maybe_canceled(message))
    if message is not None and not to_bool(value):  # an error, and nothing like a yes
        return CancelResult(order_id=order_id, ok=False, error=message)
    words = values.sentence(value) if message is None else None
    if words is not None and refuses(words):
        return CancelResult(order_id=order_id, ok=False, error=words)
    if message is None and words is None and says_no(value):
        return CancelResult(order_id=order_id, ok=False)
    if message is not None or says_failure(item):  # what may be a yes, beside an error
        why = f"answered a cancel and an error: {said_back(item)}"
    else:
        why = f"answered without a readable cancel result: {said_back(value)}"
    return _unknown_cancel(order_id, why)


def _unknown_cancel(order_id: int, why: str) -> CancelResult:
    return CancelResult(order_id=order_id, ok=False, error=why, unknown=True)


def _cancel_claims(
    asked: dict[str, int], data: dict[str, Any] | list[Any]
) -> tuple[list[tuple[int, dict[str, Any] | str]], list[str]]:
    """Given the asked IDs (by their text) and an answer, return what it says of
    each order, as (order ID, item) or (order ID, why it is unknown), and the
    keys or items naming no order."""
    claims: list[tuple[int, dict[str, Any] | str]] = []
    ignored: list[str] = []
    entries = data.items() if isinstance(data, dict) else ((None, item) for item in data)
    for key, value in entries:
        keyed = _cancel_key(asked, key)
        if isinstance(value, dict) and "order" in value:  # an item, as in a list
            order_id = named_id(value.get("order"))
            if keyed is None and isinstance(value["order"], Twice):  # "order": 7, "order": 8
                why = f"answered for order {id_shown(value['order'])}: {said_back(value)}"
                claims += [(o, why) for o in ids_given(value["order"])]
                if not ids_given(value["order"]):
                    ignored.append(said_back(value, 40))
            elif keyed is not None and keyed != order_id:  # filed under another order
                why = f"answered under order {id_shown(key)} for order {id_shown(value['order'])}"
                named = [o for o in (keyed, order_id) if o]  # NOT_AN_ID names none
                claims += [(o, why) for o in named]
                if not named:
                    ignored.append(said_back(key, 40))
            elif order_id:  # neither None nor NOT_AN_ID
                claims.append((order_id, value))
            else:
                ignored.append(said_back(key if key is not None else value, 40))
        elif keyed:  # keyed by order ID: the value says what ``cancel`` would
            item = value if isinstance(value, dict) and "cancel" in value else {"cancel": value}
            claims.append((keyed, item))
        else:
            ignored.append(said_back(key if key is not None else value, 40))
    return claims, ignored


def _cancel_key(asked: dict[str, int], key: str | None) -> int | None:
    """Return the asked order a key names ("0078" is order 78, as in a status
    answer: :func:`named_id`); None for a list item's and a key of digits
    naming no asked order (or a PHP index, "0"), whose ``order`` tells;
    NOT_AN_ID for a key that is no ID nor index ("+5", "5.5")."""
    if key is None:
        return None
    if key in asked:
        return asked[key]
    named = named_id(key)
    if named is not None and str(named) in asked:
        return named
    return None if key.isascii() and key.isdigit() else NOT_AN_ID


def parse_cancel(requested: Iterable[int], data: Any) -> CancelAnswer:
    """Given the order IDs asked with ``orders`` and the answer to ``cancel``,
    return a CancelResult for each asked order the answer names, and the keys
    or items that name no asked order (ignored; the client logs them).

    Accepts the documented list of ``{order, cancel}`` and an object keyed by
    order ID (``{"5": 1, "6": {"error": "..."}}``), each value read as an item's
    ``cancel`` value (an item with its own ``order`` is read as in a list).
    Whatever is ambiguous is unknown, never success: an order answered twice,
    differently, or under another order's key or one that is no order ID
    ("+5"); an error beside order results. ``"order": "+5"`` names none;
    ``"order": 5.0`` or "5.0" names order 5, as a status key does. An error
    envelope saying no words (``{"success": false}``) is no answer about any
    order (BadAnswerError: the orders' outcome unknown).
    """
    asked = {str(order_id): order_id for order_id in requested}
    if says_no_words(data):  # {"error": true}, {"error": ""}: no refusal, no order's answer
        raise BadAnswerError(no_words_said(data))
    if error_text(data) is not None:  # an object with an error
        if not asked.keys() & data.keys():
            raise_for_error(data)
        # An error beside orders' results: what was canceled cannot be told.
        why = f"answered an error beside the orders' results: {said_back(data)}"
        return CancelAnswer([_unknown_cancel(o, why) for o in asked.values()], [])
    if not isinstance(data, dict | list):
        raise BadAnswerError(f"expected a list for cancel, got {came_back(data)}")
    if says_only_no(data):  # {"status": "error", "data": {}}: its keys no orders
        raise BadAnswerError(f"answered an error with no words: {said_back(data)}")
    if holds_nothing(data) or says_alone(data):  # {"status": "success", "message": ...}
        raise BadAnswerError(f"answered no order's result: {values.as_json(data)}")
    if says_failure(data):  # {"7": 1, "status": "error"}: as an error beside them
        why = f"answered an error beside the orders' results: {said_back(data)}"
        return CancelAnswer([_unknown_cancel(o, why) for o in asked.values()], [])
    claims, ignored = _cancel_claims(asked, data)
    found: dict[int, CancelResult] = {}
    for order_id, item in claims:
        if str(order_id) not in asked:
            ignored.append(str(order_id))
            continue
        if isinstance(item, str):
            result = _unknown_cancel(order_id, item)
        else:
            result = _cancel_item(order_id, item)
        seen = found.get(order_id)
        if seen is None:
            found[order_id] = result
        elif seen != result and not seen.unknown:
            twice = result if result.unknown else None
            found[order_id] = twice or _unknown_cancel(order_id, "answered twice, differently")
    return CancelAnswer(list(found.values()), ignored)

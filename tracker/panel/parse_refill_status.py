"""Tolerant parsers of the answers to ``refill_status``, one refill or many.

Pure functions, held to the rules of :mod:`tracker.panel.parse`: every shape
in shared/api-v2.md is accepted; anything else raises :class:`BadAnswerError`
(or :class:`PanelAnswerError` for the panel's own ``{"error": ...}``). A refill
ID is the panel's text, matched as written or as the same number ("007" and 7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tracker.errors import AuthError, BadAnswerError, MisfiledAnswerError, PanelError
from tracker.panel import values
from tracker.panel.add_shapes import said_back
from tracker.panel.bare import is_status_word
from tracker.panel.error_words import flag_alone, no_words_said, raise_for_wordless
from tracker.panel.ids import to_id
from tracker.panel.models import RefillStatus
from tracker.panel.not_found import says_not_found
from tracker.panel.parse import _expect_dict, came_back, one_row
from tracker.panel.refusals import error_text, is_key_refusal, raise_for_error
from tracker.panel.statuses import normalize_refill_status
from tracker.panel.values import to_text

NO_REFILL_STATUS = "no refill status"  # an item that says nothing of its refill


def _refill_status(refill_id: str, value: Any) -> RefillStatus:
    message = error_text(value)
    if message is not None:  # {"error": true}: said as no words, never "true"
        said = no_words_said(value) if flag_alone(value) else message
        return RefillStatus(refill_id=refill_id, error=said)
    raw = to_text(value)
    if raw is None:  # {} or "status": null says nothing: never "None" in its words
        said = said_back(value, 80) if value is not None else "the answer has no status field"
        return RefillStatus(refill_id=refill_id, error=f"{NO_REFILL_STATUS}: {said}")
    status, known = normalize_refill_status(raw)
    words = values.sentence(raw) if not known else None
    if words is not None and says_not_found(words):
        # "Refill not found" where the status goes: the panel's error in words.
        # Kept as a status, it held the refill open (and its order unrefillable)
        # for ever; as an error it counts towards closing it, as {"error": ...} does.
        return RefillStatus(refill_id=refill_id, error=words)
    return RefillStatus(refill_id=refill_id, status=status, raw_status=raw, known_status=known)


def parse_refill_status_single(refill_id: str, data: Any) -> RefillStatus:
    """Given the answer to ``refill_status`` with ``refill``, return its RefillStatus.

    An answer whose ``refill`` names another refill (8, " 7" or 7.0 to
    ``refill=7``; "007" and 7 are one) raises MisfiledAnswerError: its status or
    error is not this refill's news. A ``refill`` missing, null or "" names
    none: the answer is the asked refill's. A refused key raises AuthError.
    A bare refill status word (``"Completed"``) is this refill's status, as a
    bare order status word is the order's to ``order=``: one refill was asked,
    so the word can be no other's (to ``refills=`` it stays a broken answer).
    """
    if isinstance(data, str) and is_status_word(data, "refill_status"):
        return _refill_status(refill_id, data)
    data = one_row(data)
    raise_for_wordless(data)  # {"error": true}: the call's failure, not the refill's
    message = error_text(data)
    if message is not None and is_key_refusal(message):
        raise AuthError(message)
    named = _item_refill(data)
    if named is not None and not _same_refill(refill_id, named):
        said = _refill_shown(data["refill"])
        raise MisfiledAnswerError(f"answered refill {said} when asked for refill {refill_id}")
    if message is not None:
        return RefillStatus(refill_id=refill_id, error=message)
    if isinstance(data, list) or (isinstance(data, dict) and data.get("status") is None):
        listed = _many_shaped(refill_id, data)
        if listed is not None:
            return listed
    return _refill_status(refill_id, _expect_dict(data, "refill_status").get("status"))


def _many_shaped(refill_id: str, data: Any) -> RefillStatus | None:
    """Given an answer to ``refill=`` with no status of its own, return the
    asked refill's status when it is shaped as the answer to ``refills=`` is
    (``{"7": {"status": ...}}``, ``[{"refill": 7, "status": ...}]``: a script
    reading both fields into one list of IDs) and gives the asked refill a
    status; None for any other (another refill's, an error in the item)."""
    try:
        found = parse_refill_status_multi([refill_id], data)
    except PanelError:
        return None
    return next((item for item in found if item.status is not None), None)


def _refill_shown(value: Any) -> str:
    """Given a ``refill`` field, return it for a message: a refill ID as
    written ("007"), anything else as sent, quoted (' 7')."""
    return str(value) if to_id(value) is not None else said_back(value, 40)


def parse_refill_status_multi(requested: Iterable[str], data: Any) -> list[RefillStatus]:
    """Given the refill IDs asked with ``refills`` and the answer, return one
    RefillStatus for each asked refill the answer names.

    Accepts a list of ``{refill, status}`` and an object keyed by refill ID
    (values: ``{status}``, an error object or a bare status), as the multi
    ``status`` call answers. Refills nobody asked for are ignored. An answer
    naming none of the asked refills ({}, [], unrelated keys) raises
    BadAnswerError: a broken answer, never "every refill is lost".
    """
    if isinstance(data, dict) and "error" in data:
        raise_for_error(data)
    wanted = set(requested)
    if isinstance(data, dict):
        pairs = [(key, _item_refill(item), item) for key, item in data.items()]
    elif isinstance(data, list):
        pairs = [(None, _item_refill(item), item) for item in data]
    else:
        raise BadAnswerError(f"expected an object or list for refill_status, got {came_back(data)}")
    asked = _asked_as(wanted)
    found: dict[str, RefillStatus | None] = {}  # None: ambiguous, left out
    for key, named, item in pairs:
        keyed, claimed = asked(key), asked(named)
        if keyed is not None and named is not None and not _same_refill(key or "", named):
            # Filed under another refill's key: read for neither.
            found.update({either: None for either in (keyed, claimed) if either is not None})
            continue
        refill_id = keyed if keyed is not None else claimed
        if refill_id is None:
            continue
        value = item.get("status", item) if isinstance(item, dict) else item
        report = _refill_status(refill_id, value)
        seen = found.setdefault(refill_id, report)
        if seen is None or seen._replace(raw_status=None) != report._replace(raw_status=None):
            found[refill_id] = None  # answered twice, differently
    if not found:
        none = (
            "nothing about the asked refill"
            if len(wanted) == 1
            else f"none of the {len(wanted)} asked refills"
        )
        raise BadAnswerError(f"answered {none}: {said_back(data, 80)}")
    return [report for report in found.values() if report is not None]


def _asked_as(wanted: set[str]) -> Callable[[str | None], str | None]:
    """Given the refill IDs asked, return a function giving the asked ID an
    answer's key or ``refill`` names: itself, or the one asked ID that is the
    same number ("007" asked, 7 answered); None for any other."""
    by_number: dict[int, list[str]] = {}
    for refill_id in wanted:
        number = to_id(refill_id)
        if number is not None:
            by_number.setdefault(number, []).append(refill_id)

    def asked(named: str | None) -> str | None:
        if named is None or named in wanted:
            return named
        number = to_id(named)
        same = by_number.get(number, []) if number is not None else []
        return same[0] if len(same) == 1 else None  # "7" and "007" both asked: neither

    return asked


def _same_refill(a: str, b: str) -> bool:
    """Return True when two refill IDs are one ("7" and "007" alike)."""
    return a == b or (to_id(a) is not None and to_id(a) == to_id(b))


_NOT_A_REFILL = ""  # what ``refill``: 12.5, true or {} names: no asked refill, nor its key's


def _item_refill(item: Any) -> str | None:
    """Return the refill ID an item's ``refill`` field names, as written (" 7"
    is not "7"); None when there is none (missing, null, or "": PHP scripts
    write an empty string for a field they have no value for)."""
    value = item.get("refill") if isinstance(item, dict) else None
    if value is None or value == "":
        return None
    return str(value) if type(value) in (int, str) else _NOT_A_REFILL

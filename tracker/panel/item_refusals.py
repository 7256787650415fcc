"""A panel's refusal said in each item of a multi answer: every item busy, or refusing alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.panel.refusals import denies_key, error_text, is_busy, is_key_refusal
from tracker.panel.values import short


def items_busy(data: Any) -> str | None:
    """Given an answer with no whole-answer error, return the words of its
    first item when every item of it says the panel is busy (:func:`is_busy`):
    a multi-order answer, ``{"1": {"error": "Too many requests"}, "2": {...}}``
    (an object keyed by order ID, its items ``{"error": ...}`` or bare words)
    or a list of ``{"error": ...}``, or of refills' ``{"status": {"error": ...}}``.
    The panel busy, as the same words once at the top say
    (:mod:`tracker.panel.interpret`), never each order's. Else None."""
    pairs = _pairs(data)
    if pairs is None:
        return None
    first = None
    for key, item in pairs:  # an item saying anything else ends it: every poll's answer
        words = _item_words(key, item)
        if words is None or not is_busy(words):
            return None
        first = first or words
    return first


def items_refused(data: Any, *, reads: bool = True) -> str | None:
    """Given an answer with no whole-answer error, return the words of its
    first item when every item of it (as :func:`items_busy` reads them, and
    ``refill`` and ``cancel`` results' ``{"order": 1, "cancel": {"error":
    ...}}``) refuses the key (:func:`is_key_refusal`; to ``add``, ``refill``
    and ``cancel``, not ``reads``, :func:`denies_key`: nothing was done), or,
    to a read, says the same words (the witness's to judge, as the same words
    at the top are). With a 4xx that is the panel's refusal in items, as
    once at the top (:mod:`tracker.panel.interpret`), not a broken answer."""
    pairs = _pairs(data)
    if pairs is None:
        return None
    said: list[str] = []
    for key, item in pairs:  # an item without error words ends it
        words = _item_words(key, item)
        if words is None or not (reads or _nothing_beside(item)):
            return None
        said.append(words)
    refuses_key = is_key_refusal if reads else denies_key
    if said and (all(map(refuses_key, said)) or (reads and len(set(said)) == 1)):
        return said[0]
    return None


def _pairs(data: Any) -> Iterable[tuple[Any, Any]] | None:
    """A multi-order answer's (key, item) pairs (a list's keyed None), else None."""
    if isinstance(data, list):
        return ((None, item) for item in data)
    return data.items() if isinstance(data, dict) else None


def _nothing_beside(item: Any) -> bool:
    """Whether a ``refill`` or ``cancel`` result holds nothing but its order
    and its error: a refill ID or a yes beside the words may mean it was done."""
    if not isinstance(item, dict):
        return True
    nested = ("refill", "cancel")
    return all(
        k in ("order", "error") or (k in nested and type(v) is dict) for k, v in item.items()
    )


def _item_words(key: Any, item: Any) -> str | None:
    """An item's error words: its ``error``, a refill's ``status`` error
    (``{"refill": 1, "status": {"error": ...}}``), a refill or cancel result's
    (``{"order": 1, "cancel": {"error": ...}}``), or bare words under an ID's key."""
    if isinstance(item, str) and isinstance(key, str) and key.strip().isdigit():
        return short(item)
    if isinstance(item, dict) and "error" not in item:
        for name in ("status", "refill", "cancel"):
            if isinstance(item.get(name), dict):
                return error_text(item[name])
    return error_text(item)

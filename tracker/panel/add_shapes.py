"""An ``add`` answer's own shapes: its one row in a list, said back as
written; words beside its order ID that read as a refusal."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tracker.panel import refusals, values
from tracker.panel.error_words import WORDS_AT
from tracker.panel.flags import each_given
from tracker.panel.ids import written_id
from tracker.panel.json_decoder import Twice, WrittenFloat
from tracker.panel.models import PlacedId


def placed_row(data: Any) -> Any:
    """Given the answer to ``add``, return its one object when it is a list of
    exactly one object whose ``order`` is a usable ID (:func:`written_id`),
    else ``data``: a list of several, or of one without an ID, stays the
    answer it was (outcome unknown)."""
    if type(data) is list and len(data) == 1 and type(data[0]) is dict:
        return data[0] if written_id(data[0].get("order")) is not None else data
    return data


def placed(order_id: int, *answers: Any) -> PlacedId:
    """Given an ``add``'s order ID and the answer that held it (its row, then
    the whole answer around it), return the ID with the words beside it that
    read as a refusal (:func:`refusing_words`), the first found."""
    found = PlacedId(order_id)
    found.also_said = next(filter(None, map(refusing_words, answers)), None)
    return found


# Where words beside an order ID are: a web framework's words' keys, not ``error``
# (an ID beside an error: outcome unknown, parse.parse_add).
_BESIDE = tuple(key for key in WORDS_AT if key != "error")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n")


def refusing_words(answer: Any) -> str | None:
    """Given an object answering ``add`` beside its order ID, return its words
    (``message``, ``msg``, ``detail``...) when they read as a refusal
    (``"Not enough funds"``, ``"neworder.error.not_enough_funds"``): their
    first sentence refuses (:func:`~tracker.panel.refusals.refuses`), or says
    the key refused, the panel busy or failing, as an error's words are read.
    Words leading with the placement ("Your order has been placed. Not
    refundable.") or refusing nothing ("Order placed"): None. Words given
    twice, differently (``"message": "Order placed", "message": "Not
    enough funds"``): each read, the first refusing said."""
    if type(answer) is not dict:
        return None
    said = (words for key in _BESIDE for words in each_given(answer.get(key)))  # twice: each
    for words in said:
        if type(words) is not str or not words.strip():
            continue
        first = _SENTENCE_END.split(words.strip(), maxsplit=1)[0]
        if refusals.refuses(first) or refusals.is_key_refusal(first):
            return values.short(words.strip())
        if refusals.is_busy(first) or refusals.is_panel_fault(first):
            return values.short(words.strip())
    return None


# Stands for the i-th number while the answer is written out, then its text
# put in its place (JSON writes a float as Python reads it, 23501.0, and
# cannot write a Decimal: an integer too long for int()).
def _mark(i: int) -> str:
    return f"\ue000{i}\ue000"


_DEEP = 8  # numbers deeper than this many objects or lists are shown as JSON reads them


def _marked(value: Any, texts: list[str], depth: int = 0) -> Any:
    """Return ``value`` with each number whose JSON text Python would not write
    back (a whole float's, a Decimal's), and a Twice (its words), a mark, its text in ``texts``."""
    if isinstance(value, WrittenFloat | Decimal | Twice):
        texts.append(value.text if isinstance(value, WrittenFloat) else str(value))
        return _mark(len(texts) - 1)
    if depth < _DEEP and isinstance(value, dict):
        return {k: _marked(v, texts, depth + 1) for k, v in value.items()}
    if depth < _DEEP and isinstance(value, list):
        return [_marked(v, texts, depth + 1) for v in value]
    return value


def as_sent(data: Any, limit: int = 120) -> str:
    """Given an ``add`` answer, return it as :func:`values.as_json` writes it,
    its numbers as the panel wrote them: a whole float (23501.00000000000001,
    not 23501.0: that would read as an ID) and an integer too long to read
    (its digits, cut; never Python's ``Decimal('9...')``)."""
    texts: list[str] = []
    marked = _marked(data, texts)
    if not texts:
        return values.as_json(data, limit)
    text = values.as_json(marked, limit=2**62)  # cut below
    for i, written in enumerate(texts):
        mark = f'"{_mark(i)}"'
        if text.count(mark) != 1:  # the panel wrote the mark too: as Python reads it
            return values.as_json(data, limit)
        text = text.replace(mark, written[: limit + 1])
    return values.short(text, limit)


def said_back(data: Any, limit: int = 120) -> str:
    """Given an answer, or an item of one, return it for a message: an object
    or a list as :func:`as_sent` writes it (a key given twice, differently,
    in words once: ``<answered "error" twice, differently: "a" and "b">``,
    never its error item as JSON escaped inside the JSON), anything else as
    :func:`values.shown` does."""
    return as_sent(data, limit) if isinstance(data, dict | list) else values.shown(data, limit)

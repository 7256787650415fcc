"""JSON decoded as a panel's script may write it: an object giving a key
twice, differently, read as an error item in its place (:class:`Twice`),
never either value; an integer too long for ``int()`` read as a Decimal,
absurd, rather than the whole answer made invalid. Pure; used by
:mod:`tracker.panel.notices` to read the document it finds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tracker.panel.values import short


class Twice(dict):
    """What an object said of a key it gave twice, differently (``{"order": 1,
    "order": 2}``: PHP's json_encode never writes one, a hand-built answer
    can): an error item in that key's place, never either value, so that
    ``add`` ends "outcome unknown" rather than tracking an order the panel
    may not have placed (the decoder kept the last, silently).

    ``said`` holds the values given, each once, in the order given: a services
    listing giving a term twice is read as listings of each (ambiguous)."""

    said: tuple[Any, ...] = ()


# Values kept of a key an object gives more than once: each value is compared
# with those kept, so a key given 60,000 times (1 MB) cost 60,000² comparisons,
# minutes of CPU for one answer; two are enough to say "twice, differently".
_SAID = 8


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):  # the usual object: one comparison
        return found
    given: dict[str, list[Any]] = {}
    for key, value in pairs:
        values = given.setdefault(key, [])
        if len(values) < _SAID and value not in values:
            values.append(value)
    for key, values in given.items():
        if len(values) > 1:
            said = f"{short(values[0], 40)} and {short(values[1], 40)}"
            found[key] = twice(f"answered {key!r} twice, differently: {said}", values)
    return found


def twice(error: str, said: Iterable[Any]) -> Twice:
    twice = Twice(error=error)
    twice.said = tuple(said)
    return twice


def _integer(digits: str) -> int | Decimal:
    """Given a JSON integer's digits, return it as an int; one longer than
    Python reads (4300 digits: ``int()`` raises) as a Decimal, which every
    reader in :mod:`tracker.panel.values` refuses as absurd, as it does 1e400.
    Raised, it made the whole answer "invalid JSON": every order in it unread."""
    try:
        return int(digits)
    except ValueError:
        return Decimal(digits)


_decoder = json.JSONDecoder(object_pairs_hook=_once_each)
# The hook costs a Python call per integer (a quarter more time on an answer of
# bare integers): used only once an integer too long for int() was met, which
# raises a plain ValueError where a malformed document raises JSONDecodeError.
_long_decoder = json.JSONDecoder(object_pairs_hook=_once_each, parse_int=_integer)


def decode(text: str, start: int | None = None) -> Any:
    """Decode the whole of ``text``, or (``start`` given) the document at
    ``start``, returning (document, end)."""
    try:
        return _read(_decoder, text, start)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer too long for int()
        return _read(_long_decoder, text, start)


def _read(decoder: json.JSONDecoder, text: str, start: int | None) -> Any:
    return decoder.decode(text) if start is None else decoder.raw_decode(text, start)

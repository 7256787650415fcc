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
from functools import cache
from typing import Any

from tracker.panel.values import as_json


class Twice(dict):
    """What an object said of a key it gave twice, differently (``{"order": 1,
    "order": 2}``: PHP's json_encode never writes one, a hand-built answer
    can): an error item in that key's place, never either value, so that
    ``add`` ends "outcome unknown" rather than tracking an order the panel
    may not have placed (the decoder kept the last, silently).

    ``said`` holds the values given, each once, in the order given: a services
    listing giving a term twice is read as listings of each (ambiguous)."""

    said: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        """In words within an answer shown (``{'78': <answered "78" twice,
        differently: 1 and 2>}``), never as the error item it is read as."""
        return f"<{self['error']}>"


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
            said = f"{as_json(values[0], 40)} and {as_json(values[1], 40)}"
            found[key] = twice(f"answered {as_json(key)} twice, differently: {said}", values)
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


class WrittenFloat(float):
    """A JSON number with a fraction or an exponent whose double is a whole
    number, with its ``text`` as the panel wrote it: 23501.00000000000001
    reads as the double 23501.0, and only the text says it was not written
    a whole number. Made by the decoders :func:`decode` uses ``as_written``."""

    text: str = ""


def _as_written(text: str) -> float:
    """Given a JSON number's text with a fraction or an exponent, return its
    float; a :class:`WrittenFloat` when that is a whole number."""
    number = float(text)
    if not number.is_integer():
        return number
    written = WrittenFloat(number)
    written.text = text
    return written


@cache
def _written_decoders() -> tuple[json.JSONDecoder, json.JSONDecoder, json.JSONDecoder]:
    """Return the decoders of :func:`decode` (plain, hooked, long) reading a
    whole float with its text (:class:`WrittenFloat`): an ``add`` answer's
    alone, made at its first (the status answers keep the C float reader)."""
    return (
        json.JSONDecoder(parse_float=_as_written),
        json.JSONDecoder(object_pairs_hook=_once_each, parse_float=_as_written),
        json.JSONDecoder(object_pairs_hook=_once_each, parse_int=_integer, parse_float=_as_written),
    )


_decoder = json.JSONDecoder(object_pairs_hook=_once_each)
# The hook costs a Python call per integer (a quarter more time on an answer of
# bare integers): used only once an integer too long for int() was met, which
# raises a plain ValueError where a malformed document raises JSONDecodeError.
_long_decoder = json.JSONDecoder(object_pairs_hook=_once_each, parse_int=_integer)
# No hook: the C decoder alone, a third less time on a status answer (its 101
# objects each a Python call). A key it kept once of two is told by counting:
# see :func:`decode`. Not tried first on a larger text (a services listing,
# its descriptions full of colons): decoded twice, it would cost more.
_plain_decoder = json.JSONDecoder()
PLAIN_FIRST = 256 * 1024  # characters; a status answer of 100 orders is ~20 kB
_DECODERS = (_plain_decoder, _decoder, _long_decoder)


def decode(
    text: str, start: int | None = None, *, plain: bool = True, as_written: bool = False
) -> Any:
    """Decode the whole of ``text``, or (``start`` given) the document at
    ``start``, returning (document, end).

    Decoded first without the duplicate-key hook (``plain``, and ``text`` no
    longer than PLAIN_FIRST); that is the answer when the document's colons
    are as many as the keys counted of its objects (its own and those of its
    direct values or items): each key of the text has its colon, so no object
    gave a key twice. Else (a colon in a text, "Canceled: invalid link", an
    object deeper down, a key given twice) it is decoded again with the hook.
    ``plain=False`` decodes with the hook alone (the tests comparing both).
    ``as_written``: a float that is a whole number keeps its text
    (:class:`WrittenFloat`), for an ``add`` answer's order ID."""
    first, hooked, long = _written_decoders() if as_written else _DECODERS
    if plain and len(text) <= PLAIN_FIRST:
        try:
            found = _read(first, text, start)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer too long for int()
            return _read(long, text, start)
        document, end = (found, len(text)) if start is None else found
        if text.count(":", start or 0, end) == _shallow_keys(document):
            return found
    try:
        return _read(hooked, text, start)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer too long for int()
        return _read(long, text, start)


def _shallow_keys(document: Any) -> int:
    """Return the keys of ``document`` (an object) and of the objects that are
    its direct values or items: no more than all of its objects' keys (no
    more than the colons of its text, one a key, unless a key was given twice
    and kept once)."""
    values: Iterable[Any]
    if type(document) is dict:
        keys, values = len(document), document.values()
    elif type(document) is list:
        keys, values = 0, document
    else:
        return 0
    try:
        return keys + sum(map(dict.__len__, values))  # the usual: objects in an object
    except TypeError:  # not each an object: a status answer's bare "Incorrect order ID"
        return keys + sum(len(value) for value in values if type(value) is dict)


def _read(decoder: json.JSONDecoder, text: str, start: int | None) -> Any:
    return decoder.decode(text) if start is None else decoder.raw_decode(text, start)

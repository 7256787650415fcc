"""A non-200 answer with its HTTP code kept as data, as
:func:`tracker.panel.failures.with_status` returns it: an object
(:class:`StatusAnswer`) or a list (:class:`StatusList`: a multi ``refill``,
``refill_status`` or ``cancel`` answer's items), which the parsers read as a
200's and the errors raised from it carry
(:func:`tracker.panel.refusals.answer_status`)."""

from __future__ import annotations

from typing import Any


class StatusAnswer(dict[str, Any]):
    """A non-200 JSON object answer: the panel's object with its HTTP code as
    data (``status``), which the error raised from it carries
    (:func:`tracker.panel.refusals.raise_for_error`)."""

    status: int | None = None
    # The panel's own ``error`` value, before its code was written into it
    # (``23501`` for ``"HTTP 429: 23501"``): an add's order ID for its error.
    given: Any = None


class StatusList(list[Any]):
    """A non-200 JSON list answer: the panel's items with its HTTP code as
    data (``status``), as :class:`StatusAnswer` keeps an object's: a whole
    answer judged from them names it ("HTTP 201: Invalid API key")."""

    status: int | None = None


def with_code(code: int, data: Any) -> Any:
    """Given a non-200 answer's JSON without ``error`` words at the top,
    return it with ``code`` kept as data: an object or a list (anything
    else, a string or a number, as it came)."""
    if type(data) is dict:
        coded: StatusAnswer | StatusList = StatusAnswer(data)
    elif type(data) is list:
        coded = StatusList(data)
    else:
        return data
    coded.status = code
    return coded

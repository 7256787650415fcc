"""A panel's yes and no as it writes them: a service's flag, a plain yes or no."""

from __future__ import annotations

from typing import Any

from tracker.panel.json_decoder import Twice

_NO = frozenset({"0", "false", "no"})


def to_bool(value: Any) -> bool:
    """Given a flag as panels send it (true, 1, "1", "0", "yes", missing), return a bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "y"}
    return False


_YES = frozenset({"1", "true"})


def says_yes(value: Any) -> bool:
    """Return True for an answer that plainly says yes, as panels write it: true,
    1, "1", "true". Unlike :func:`to_bool` (a service's flag, where a wrong
    read costs nothing), 2, "2", 0.5, "yes", "ok" are not a yes: read as one, a
    cancel a panel never took was told to the user as accepted."""
    return value is True or (type(value) in (int, str) and str(value).strip().lower() in _YES)


def says_no(value: Any) -> bool:
    """Return True for a flag that plainly says no: false, 0, "0", "false", "no"."""
    return value is False or (type(value) in (int, str) and str(value).strip().lower() in _NO)


def each_given(value: Any) -> tuple[Any, ...]:
    """Return the values a field said: those of a key given twice,
    differently (:class:`~tracker.panel.json_decoder.Twice`), each once;
    else ``value`` alone. A yes or no given twice is read by each value:
    either a failure is a failure, never the last one given."""
    return value.said if isinstance(value, Twice) else (value,)

"""Answer shapes panel scripts write around the usual one, read through: a
status answer about many orders wrapped in one key (``{"orders": {...}}``,
``{"data": [...]}``), ``add`` answered the list of its one row (PDO's
``fetchAll()``, ``[{"order": 77}]``). Pure; used by :mod:`tracker.panel.parse`, only once
the usual shape was not found (no cost on a well-formed answer)."""

from __future__ import annotations

from typing import Any

from tracker.panel.ids import key_id, named_id, written_id


def _names(wanted: set[int], data: dict[str, Any] | list[Any]) -> bool:
    """Return True when ``data`` keys an item by an asked ID, or lists an
    item whose ``order`` names one."""
    if type(data) is dict:
        return any(named_id(key) in wanted for key in data)
    return any(type(i) is dict and named_id(i.get("order")) in wanted for i in data)


def unwrapped(wanted: set[int], data: Any) -> Any:
    """Given the answer to a status call about the IDs ``wanted``, return what
    its one key holds when that key could be no order's ID ("orders", "data",
    "result"; never "125" or " 125") and holds an object keyed by, or a list
    of items naming, an asked ID; None for any other answer."""
    if type(data) is not dict or len(data) != 1:
        return None
    [(key, inner)] = data.items()
    if key_id(key) is not None or type(inner) not in (dict, list):  # a Twice is no dict here
        return None
    return inner if _names(wanted, inner) else None


def placed_row(data: Any) -> Any:
    """Given the answer to ``add``, return its one object when it is a list of
    exactly one object whose ``order`` is a usable ID (:func:`written_id`),
    else ``data``: a list of several, or of one without an ID, stays the
    answer it was (outcome unknown)."""
    if type(data) is list and len(data) == 1 and type(data[0]) is dict:
        return data[0] if written_id(data[0].get("order")) is not None else data
    return data

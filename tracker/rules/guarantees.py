"""The refill guarantee a service's name says, and the window an order gets.

Pure. Panels sell each service with its own guarantee, written in its name
(sometimes only in its category): "Instagram Followers [R30]", "Refill 30D",
"30 Days Refill", "[Refill: 90 Days]", "♻️ 365D", "Lifetime Refill", "No
Refill". :func:`named_guarantee` reads it, conservatively: a number counts
only when refill words (``R30``, "refill", "guarantee", "warranty", ♻) say
it is the guarantee's; a quantity or a speed ("10K", "1K/day", "30 Min
Start", "Auto Likes 30 Days") is none, and two different guarantees in one
name are none said. :func:`window_of` is the window an order gets: the
name's guarantee (lifetime: ``refill.lifetime``), else ``refill.window``.
A name saying "No Refill" names no window: the panel's ``refill`` flag stays
the authority on whether a refill is possible at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from tracker.config.durations import format_duration
from tracker.config.model import RefillConfig

DAY = 86400.0
LONGEST_DAYS = 366  # a longer number of days is read as none said (as refill.window's maximum)
SHORTEST_TAG = 7  # "R1", "R2": a server's or a route's label, not a guarantee
LONGEST_TEXT = 500  # characters of a name (a category) read: a hostile panel's are any length

LIFETIME = "lifetime"
NO_REFILL = "none"
DAYS = "days"

_REFILL = r"(?:auto[\s-]*)?(?:refill|refil|guarantee[d]?|warranty|♻️?)"
_UNIT = r"(?P<unit>d|days?|months?|m(?:o|th)s?|years?|y(?:rs?)?)"
_NUMBER = r"(?<![\d.,/])(?P<n>\d{1,3})"
_PATTERNS = (
    # "[R30]", "R60", "R30D", "R-90", "R365 Days"
    re.compile(r"(?<![\w])r-?(?P<n>\d{1,3})(?:\s*(?P<unit>d|days?))?(?![\w/%])", re.I),
    # "30 Days Refill", "30D Refill", "30-Day Auto Refill", "90 Days Guarantee", "♻️ 365D"
    re.compile(rf"{_NUMBER}\s*(?:-\s*)?{_UNIT}\s*(?:[:\-–(\[]\s*)?{_REFILL}", re.I),
    re.compile(rf"{_REFILL}\s*(?:[:\-–(\[]\s*)?{_NUMBER}\s*(?:-\s*)?{_UNIT}(?![\w/])", re.I),
)
_LIFE = r"(?:life[\s-]?time|forever|permanent|unlimited|∞)"
_LIFETIME = (
    re.compile(rf"{_LIFE}\s*(?:[:\-–(\[]\s*)?{_REFILL}", re.I),
    re.compile(rf"{_REFILL}\s*(?:[:\-–(\[]\s*)?{_LIFE}", re.I),
    re.compile(r"(?<![\w])r[\s-]?(?:∞|lifetime)", re.I),
)
_NONE = re.compile(
    r"(?<![\w])(?:no|non|without|w/o)[\s-]*(?:refill|refil|guarantee|warranty)(?![\w])", re.I
)
_DAYS_IN = {"d": 1, "m": 30, "y": 365}


class Guarantee(NamedTuple):
    """What a name says: ``kind`` (:data:`DAYS`, :data:`LIFETIME` or
    :data:`NO_REFILL`), its ``days`` (DAYS only) and ``said``, the words
    read ("R90"), with ``where`` it was read ("name" or "category")."""

    kind: str
    days: int = 0
    said: str = ""
    where: str = "name"


class Window(NamedTuple):
    """The refill window of an order: ``seconds`` after completion, and
    ``source``, the words saying where it comes from ("refill.window",
    "R90 in the service's name")."""

    seconds: float
    source: str

    def said(self) -> str:
        """The window as `history ID` names it: "R90 in the service's name, 90d"."""
        return f"{self.source}, {format_duration(self.seconds)}"


@lru_cache(maxsize=4096)  # asked for each candidate order, of a few hundred services
def named_guarantee(name: str | None, category: str | None = None) -> Guarantee | None:
    """Given a service's name and category, return the guarantee the name
    says, else the one its category says; None when neither says one (or
    says two that differ)."""
    for where, text in (("name", name), ("category", category)):
        found = _read((text or "")[:LONGEST_TEXT])
        if found is not None:
            return found._replace(where=where)
    return None


def _read(text: str) -> Guarantee | None:
    """The guarantee one text says (the earliest words saying it), or None."""
    if match := _NONE.search(text):  # beside a number too: none believed
        return Guarantee(NO_REFILL, said=match.group(0).strip())
    found: dict[tuple[str, int], tuple[int, str]] = {}
    for kind, patterns in ((DAYS, _PATTERNS), (LIFETIME, _LIFETIME)):
        for pattern in patterns:
            for match in pattern.finditer(text):
                days = _days(match) if kind == DAYS else 0
                if days is not None:
                    first = (match.start(), match.group(0).strip(" -–:([|"))
                    found[kind, days] = min(found.get((kind, days), first), first)
    if len(found) != 1:
        return None  # none said, or two differing ("R30 ... R60"): none believed
    (kind, days), (_, words) = next(iter(found.items()))
    return Guarantee(kind, days, words)


def _days(match: re.Match[str]) -> int | None:
    """A match's days; None when out of :data:`LONGEST_DAYS` (or an "R" tag's
    number below :data:`SHORTEST_TAG`)."""
    number = int(match.group("n"))
    unit = (match.group("unit") or "d").lower()
    days = number * _DAYS_IN[unit[0]]
    if match.group(0)[0] in "rR" and unit == "d" and number < SHORTEST_TAG:
        return None
    return days if 1 <= days <= LONGEST_DAYS else None


def window_of(guarantee: Guarantee | None, config: RefillConfig) -> Window:
    """Given the guarantee an order's service names (None: its service unknown,
    or its name says none) and the config, return the order's refill window."""
    if guarantee is None or not config.window_from_name or guarantee.kind == NO_REFILL:
        return Window(config.window, "refill.window")
    source = f"{guarantee.said} in the service's {guarantee.where}"
    if guarantee.kind == LIFETIME:
        return Window(config.lifetime, f"{source}, refill.lifetime")
    return Window(guarantee.days * DAY, source)


def guarantee_cell(window: Window, guarantee: Guarantee | None) -> str:
    """Given a service's window and the guarantee its name says, return it as
    `services` shows it: "90d (R90)", "90d (R90, category)", "365d
    (lifetime)"; refill.window's alone, "30d"."""
    length = format_duration(window.seconds)
    if window.source == "refill.window" or guarantee is None:
        return length
    if guarantee.kind == LIFETIME:
        return f"{length} (lifetime)"
    where = ", category" if guarantee.where == "category" else ""
    return f"{length} ({guarantee.said}{where})"


def window_words(window: Window, guarantee: Guarantee | None) -> str:
    """Given an order's window and the guarantee its service's name says,
    return them as the refill round's reason says them: "90d, R90", "60d,
    R60 in its category", "365d, lifetime: refill.lifetime", "30d,
    refill.window"."""
    length = format_duration(window.seconds)
    if window.source == "refill.window" or guarantee is None:
        return f"{length}, refill.window"
    if guarantee.kind == LIFETIME:
        return f"{length}, lifetime: refill.lifetime"
    where = " in its category" if guarantee.where == "category" else ""
    return f"{length}, {guarantee.said}{where}"


def longest_window(guarantees: list[Guarantee | None], config: RefillConfig) -> float:
    """Given the guarantees services name, return the longest window an order
    of one of them may get (``refill.window`` at least): how far back the
    refill round and a prune must look."""
    return max([config.window, *(window_of(g, config).seconds for g in guarantees)])


def longer_windows(
    services: Iterable[tuple[int, Guarantee | None]], config: RefillConfig
) -> list[tuple[float, list[int]]]:
    """Given (service ID, the guarantee its name says) for a panel's services
    with refill, return those whose orders' window is longer than
    ``refill.window``, grouped by it: (seconds, their IDs), longest first.
    Every other order (its service's window ``refill.window`` or shorter,
    or its service unknown) needs reading back ``refill.window`` only: the
    refill round so reads each order back its own window, not the longest."""
    groups: dict[float, list[int]] = {}
    for service, guarantee in services:
        seconds = window_of(guarantee, config).seconds
        if seconds > config.window:
            groups.setdefault(seconds, []).append(service)
    return sorted(((s, sorted(ids)) for s, ids in groups.items()), reverse=True)

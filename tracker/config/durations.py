"""Human durations ("90s", "5m", "1h30m", "2w") to seconds and back. Pure functions."""

from __future__ import annotations

import math
import re
from functools import cache

from tracker.panel.values import said

# Largest unit first: format_duration walks this in order. It writes days, not
# weeks ("30d", never "4w2d"): what it shows reads as it always has.
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_READ = {"w": 7 * 86400.0, **_UNITS}  # weeks are read ("2w"), not written
# ASCII digits only, as order IDs (tracker.panel.ids.to_id): "\d" is any
# script's digit, and "٣d" (Arabic-Indic 3) read as 3 days.
_PART = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(ms|s|m|h|d|w)\s*")


@cache
def _calendar() -> re.Pattern[str]:
    """Months and years have no fixed length: refused, saying the days to
    write. Compiled at its first use: a mistake's."""
    return re.compile(r"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(months?|mons?|mo|years?|yrs?|y)(?![a-z])")


_HINT = "is not a duration like 90s, 5m, 24h, 30d"
_BARE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*")  # "30": a number of what?
# Past this a duration is a typo, and dates and timedeltas overflow long before.
LONGEST = 100 * 365 * 86400.0


def parse_duration(value: object, *, toml: bool = False) -> float:
    """Given a duration, return it in seconds.

    ``value`` is an int or float of seconds (non-negative), or a string of one
    or more number-unit parts, largest unit first: "500ms", "90s", "5m",
    "1.5h", "30d", "1h30m". A string needs its units: a bare "90" is refused,
    because 90 what is exactly the question a typo leaves open. Its message
    says what is meant instead: "90s", and, when ``toml`` (a config key, where
    a number unquoted is seconds), 90 without quotes.

    Raise ValueError, with a message quoting the value, if it is none of these
    or longer than 100 years.
    """
    if isinstance(value, bool):  # True would otherwise be 1 second
        raise ValueError(f"{str(value).lower()} {_HINT}")  # TOML's spelling
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{value!r} is not a non-negative number of seconds")
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_text(value, toml)
    else:
        raise ValueError(f"{value!r} {_HINT}")
    if seconds > LONGEST:
        shown = said(value) if isinstance(value, str) else repr(value)
        raise ValueError(f"{shown} is longer than 100 years")
    return seconds


def _parse_text(text: str, toml: bool) -> float:
    """Given a string like "1h30m", return its seconds. Raise ValueError if malformed."""
    if bare := _BARE.fullmatch(text):
        number = bare.group(1)
        unquoted = f", or {number} without quotes (seconds)" if toml else ""
        raise ValueError(f'{said(text)} {_HINT}: a number needs its unit ("{number}s"){unquoted}')
    lowered = text.strip().lower()
    total = 0.0
    position = 0
    last_rank = -1
    ranks = list(_READ)
    while lowered and position < len(lowered):
        match = _PART.match(lowered, position)
        if match is None:
            if calendar := _calendar().search(lowered):
                raise ValueError(f"{said(text)} {_HINT}: {_in_days(*calendar.groups())}")
            digits = any(c.isdigit() and not c.isascii() for c in text)
            raise ValueError(f"{said(text)} {_HINT}" + " (digits 0-9 only)" * digits)
        number, unit = match.groups()
        rank = ranks.index(unit)
        if rank <= last_rank:
            raise ValueError(f"{said(text)} {_HINT} (units must go from largest to smallest)")
        last_rank = rank
        total += float(number) * _READ[unit]
        position = match.end()
    if last_rank < 0:
        raise ValueError(f"{said(text)} {_HINT}")
    return total


def _in_days(number: str, unit: str) -> str:
    """Given a number of months or years as written ("6", "mo"), return what to
    write instead: 'a month has no fixed length, so write days ("180d")'."""
    year = unit.startswith("y")
    days = float(number) * (365 if year else 30)
    shown = f"{days:.0f}" if days == round(days) else f"{days:g}"
    what = "a year" if year else "a month"
    return f'{what} has no fixed length, so write days ("{shown}d")'


def format_duration(seconds: float) -> str:
    """Given seconds, return the shortest exact-to-the-millisecond form.

    3600 -> "1h", 5400 -> "1h30m", 45 -> "45s", 0.25 -> "250ms", 0 -> "0s".
    The result parses back with :func:`parse_duration`.

    Raise ValueError if ``seconds`` is negative or not finite.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{seconds!r} is not a non-negative number of seconds")
    remaining = round(seconds * 1000)
    parts = []
    for unit, size in _UNITS.items():
        unit_ms = round(size * 1000)
        count, remaining = divmod(remaining, unit_ms)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"

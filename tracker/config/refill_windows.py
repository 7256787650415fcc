"""``refill.window``, ``refill.first_check`` and ``refill.lifetime``: how long
after an order completed its refills are asked for, and checked against
each other.

``first_check`` must be shorter than ``window``, and ``lifetime`` (the window
of a service whose name says "Lifetime Refill") at least ``window``: a
lifetime guarantee ending before a name saying none, or within
``first_check``, is a mistake, said on one line naming both keys. Left out,
``lifetime`` is 365d, or ``window`` when that is longer.
"""

from __future__ import annotations

from tracker.config.durations import format_duration
from tracker.config.fields import Table
from tracker.config.model import RefillConfig

_DAY = 86400.0


def read_windows(t: Table, d: RefillConfig) -> tuple[float, float, float]:
    """Given the ``[refill]`` table and the defaults, return its window,
    first check and lifetime in seconds; record the problems found."""
    window = t.duration("window", d.window, maximum=366 * _DAY)
    first_check = t.duration("first_check", d.first_check, minimum=0, maximum=366 * _DAY)
    if first_check >= window:
        shorter = f"must be shorter than refill.window ({format_duration(window)})"
        t.cross("first_check", shorter, "window")
    lifetime = t.duration("lifetime", max(d.lifetime, window), minimum=_DAY, maximum=3660 * _DAY)
    if lifetime < window:
        said = f"must be at least refill.window ({format_duration(window)})"
        if lifetime > first_check:
            why = "a lifetime guarantee would end before a name saying none does"
            t.cross("lifetime", f"{said}: {why}", "window")
        else:  # first_check named too: said only once it is right itself
            why = (
                f"ending within refill.first_check ({format_duration(first_check)}) of"
                " completion, no order of a lifetime service would ever be asked for"
            )
            t.cross("lifetime", f"{said}: {why}", "window", "first_check")
    return window, first_check, lifetime

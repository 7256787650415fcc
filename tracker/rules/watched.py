"""How long an episode was watched, and the words naming the clock's gaps inside.

Every recovery alert (``panel_recovered``, ``status_recovered``,
``balance_recovered``) says how long the trouble lasted. A laptop asleep 8
hours two minutes into it said "after 8h2m": the tracker watched 2 minutes.
Each says the time watched and names the gap (:class:`~tracker.rules.clocksteps.Gap`)
in the same words, with the same data keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from tracker.rules.alerts import rough_duration
from tracker.rules.clocksteps import Gap


class Watched(NamedTuple):
    """An episode's wall-clock length less the clock's gaps inside it."""

    seconds: float
    gap: Gap

    @property
    def lasted(self) -> str:
        """The time watched, as :func:`rough_duration` says it: "17m"."""
        return rough_duration(self.seconds)

    @property
    def aside(self) -> str:
        """The gaps named, to follow the alert's words: "" for none,
        " (plus 8h asleep or the clock set ahead)" when a sleep cannot be
        told from a step, " (plus 8h asleep)", " (the clock was set ahead
        8h meanwhile)", " (the clock was set back 1h meanwhile)"."""
        gap, said = self.gap, []
        if gap.set_by is None:  # no boot clock: a sleep or a step, net
            if gap.seconds > 0:
                said.append(f"plus {rough_duration(gap.seconds)} asleep or the clock set ahead")
            elif gap.seconds < 0:
                said.append(f"the clock was set back {rough_duration(-gap.seconds)} meanwhile")
        else:
            if gap.asleep:
                said.append(f"plus {rough_duration(gap.asleep)} asleep")
            if gap.set_by:
                way = "ahead" if gap.set_by > 0 else "back"
                said.append(f"the clock was set {way} {rough_duration(abs(gap.set_by))} meanwhile")
        return f" ({'; '.join(said)})" if said else ""

    @property
    def data(self) -> dict[str, Any]:
        """The alert's data keys: ``watched_seconds``, ``clock_skipped_seconds``
        (the whole gap), ``asleep_seconds`` and ``clock_set_seconds`` (its two
        parts; None where a sleep cannot be told from a step). No gap at all
        is 0 and 0 anywhere: there is nothing to tell apart (it read null,
        the boot clock's "cannot tell", on Linux too)."""
        gap = self.gap if self.gap else Gap(0.0, 0.0)
        set_by = gap.set_by
        return {
            "watched_seconds": round(self.seconds),
            "clock_skipped_seconds": round(gap.seconds),
            "asleep_seconds": None if gap.asleep is None else round(gap.asleep),
            "clock_set_seconds": None if set_by is None else round(set_by),
        }


def watched(since: datetime, now: datetime, gap: Gap) -> Watched:
    """Given when an episode began, now, and the clock's gaps while it was
    open, return the time the tracker watched it (never below 0)."""
    return Watched(max(0.0, (now - since).total_seconds() - gap.seconds), gap)

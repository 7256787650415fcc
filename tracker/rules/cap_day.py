"""Pure decision: which day the automation's daily cap counts, across clock steps.

The cap counts what a panel's re-orders cost since 00:00 UTC. A wall clock
stepped forward past midnight (NTP, an operator, a VM resumed) starts a new
day by its reading while the real day may not have ended: the day's
re-orders stop counting and the cap is spent again within minutes. A step
back needs nothing: re-orders stamped in the "future" count still (the
spend counts from the day's start with no end).

The monotonic clock tells a step: the earliest the real time can be is the
last reading before the step plus the monotonic time since. Until that has
passed the new day's midnight, the day before still counts. The boot clock
(Linux's CLOCK_BOOTTIME) counts a suspend too: where there is one, it stands
in for the monotonic clock, so a laptop asleep over midnight starts the new
day when it wakes (real time passed) while a clock set ahead still does not.
Without it, a sleep over midnight shows the same step as a clock set ahead
(CLOCK_MONOTONIC leaves a suspend out): the previous day counts on, once
awake, for as long as that day had left when it fell asleep; the cap errs on
spending less.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.rules.clocksteps import clock_step
from tracker.rules.reorders import day_start

# A forward step longer than this is a clock put right that ran behind (a
# board without a battery-backed clock started at its build date, a VM
# restored from an old snapshot, then NTP), not one set wrong ahead: the day
# before it is no day the cap can still be in. Held, the cap counted every
# re-order since that day (months) and placed none until a restart.
CORRECTION = 86400.0


@dataclass(frozen=True)
class CapClock:
    """The last look at the wall and the monotonic clock (None: none yet, or
    no monotonic clock), and the last look before a forward step that the
    monotonic clock has not yet carried past midnight (None: no such step)."""

    at: datetime | None = None
    tick: float | None = None
    before_step: tuple[datetime, float] | None = None


def cap_day(
    state: CapClock, now: datetime, tick: float | None, boot: float | None = None
) -> tuple[CapClock, datetime]:
    """Given the last looks, the wall clock's ``now``, the monotonic clock's
    ``tick`` and the boot clock's ``boot`` (None: not known), return (new
    state, the moment the day's spend counts from): 00:00 UTC of ``now``, or
    of the earliest the real time can be after a forward step
    (:func:`clock_step`). The boot clock, when known, is the one read: a
    sleep is then no step."""
    if boot is not None:
        tick = boot
    anchor = state.before_step
    if anchor is None and state.at is not None and state.tick is not None:
        step = clock_step(state.at, state.tick, now, tick)
        anchor = (state.at, state.tick) if 0 < step <= CORRECTION else None
    earliest = now
    if anchor is not None and tick is not None:
        earliest = min(now, anchor[0] + timedelta(seconds=tick - anchor[1]))
        if day_start(earliest) == day_start(now):
            anchor = None  # the monotonic clock has seen this day begin
        elif (now - earliest).total_seconds() > CORRECTION:
            # Steps since the one held add up to more than a day ahead: a clock
            # put right, as one such step is. Held on, a few hours set by hand
            # and then NTP's months counted every re-order since the first.
            anchor, earliest = None, now
    return CapClock(now, tick, anchor), day_start(earliest)

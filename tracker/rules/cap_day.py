"""Pure decision: which day the automation's daily cap counts, across clock steps.

The cap counts what a panel's re-orders cost since 00:00 UTC (stamped by the
wall clock), and the wall clock can step (NTP, an operator, a VM resumed).
Whether a step sets the clock right or wrong cannot be told, so the cap
assumes the worse until the day the step happened in has really ended:

- A step forward, past midnight or towards it, starts a new day by the wall
  clock's reading while the real day may not have ended: the day's
  re-orders would stop counting and the cap be spent again within hours.
- A step back, then the wall clock crossing the midnight it had already
  passed, starts the day over too: the re-orders placed since the step are
  stamped "yesterday" although they may be today's.

The monotonic clock tells a step: the real time is the wall clock's, or the
last reading before the step plus the monotonic time since (the step
wrong). Until that second reading has passed the midnight after the step,
the cap counts from the earlier of the two days' starts, in the wall clock's
terms. The boot clock (Linux's CLOCK_BOOTTIME) counts a suspend too: where
there is one, it stands in for the monotonic clock, so a laptop asleep over
midnight starts the new day when it wakes (real time passed) while a clock
set ahead still does not. Without it, a sleep shows the same step as a clock
set ahead (CLOCK_MONOTONIC leaves a suspend out): the day it fell asleep in
counts on, once awake, for as long as that day had left then; the cap errs
on spending less.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from tracker.rules.clocksteps import clock_step
from tracker.rules.reorder_costs import day_start

# A forward step longer than this is a clock put right that ran behind (a
# board without a battery-backed clock started at its build date, a VM
# restored from an old snapshot, then NTP), not one set wrong ahead: the day
# before it is no day the cap can still be in. Held, the cap counted every
# re-order since that day (months) and placed none until a restart.
CORRECTION = 86400.0


class CapClock(NamedTuple):
    """The last look at the wall clock and its monotonic (or boot) twin (None:
    none yet, or no such clock), whether that twin was the boot clock, and
    the last look before a step that the monotonic clock has not yet carried
    past the next midnight (None: no such step), and the most seconds the
    wall clock read behind it since (0 or less: re-orders stamped so)."""

    at: datetime | None = None
    tick: float | None = None
    before_step: tuple[datetime, float] | None = None
    boot: bool = False
    behind: float = 0.0


def cap_day(
    state: CapClock, now: datetime, tick: float | None, boot: float | None = None
) -> tuple[CapClock, datetime]:
    """Given the last looks, the wall clock's ``now``, the monotonic clock's
    ``tick`` and the boot clock's ``boot`` (None: not known), return (new
    state, the moment the day's spend counts from): 00:00 UTC of ``now``, or
    earlier while a step of at most a day (:func:`clock_step`) may have been
    wrong and the real day it happened in has not ended. The boot clock, when
    known, is the one read: a sleep is then no step."""
    on_boot = boot is not None
    if on_boot:
        tick = boot
    if on_boot != state.boot:  # readings of two clocks: no step can be told between them
        state = CapClock(state.at)
    start, behind = day_start(now), state.behind
    anchor = state.before_step
    if anchor is None and state.at is not None and state.tick is not None:
        step = clock_step(state.at, state.tick, now, tick)
        anchor = (state.at, state.tick) if 0 < abs(step) <= CORRECTION else None
    if anchor is not None and _over(anchor, now, tick):
        anchor, behind = None, 0.0
    if anchor is not None and tick is not None:
        # The real time if every step since the anchor was wrong, and the
        # wall clock's lead over it: re-orders placed since a step back are
        # stamped behind by as much.
        ahead = (now - _assumed(anchor, tick)).total_seconds()
        behind = min(behind, ahead)
        start = min(start, day_start(_assumed(anchor, tick)) + timedelta(seconds=behind))
    return CapClock(now, tick, anchor, on_boot, behind if anchor else 0.0), start


def _assumed(anchor: tuple[datetime, float], tick: float) -> datetime:
    """The real time if every step since the look ``anchor`` was wrong."""
    return anchor[0] + timedelta(seconds=tick - anchor[1])


def _over(anchor: tuple[datetime, float], now: datetime, tick: float | None) -> bool:
    """Whether the day of the look ``anchor`` has really ended, or the steps
    since add up to more than a day: a clock put right, as one such step is
    (held on, an hour set by hand and then NTP's months counted every
    re-order since the first)."""
    if tick is None:
        return False
    assumed = _assumed(anchor, tick)
    return (
        day_start(assumed) > day_start(anchor[0])
        or abs((now - assumed).total_seconds()) > CORRECTION
    )

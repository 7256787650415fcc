"""Pure decisions about the wall clock's steps (NTP, an operator, a VM or
laptop resumed): how far it stepped between two looks, and what a moment
stamped before a step still counts for.

The jobs read the wall clock, its monotonic twin and, on Linux, the boot
clock (CLOCK_BOOTTIME: the monotonic clock counting a suspend too;
:mod:`tracker.jobs.steps`); these functions are given the readings. Without
the boot clock a forward step is a sleep or the clock set ahead, which
cannot be told apart; with it, a sleep is real time passing and a step is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

# More than this between the wall clock's move and the monotonic clock's is a
# step (NTP, an operator, a VM resumed after sleeping), not NTP's slewing: the
# figure the daemon's ClockWatch (service/clockstep.py) tells steps by.
STEP_SECONDS = 5.0


def ahead(at: datetime, now: datetime) -> bool:
    """Given a stored moment and ``now``, return whether it lies more than
    ``STEP_SECONDS`` after ``now``: a clock since set back stamped it, and how
    old it is cannot be told. Taken as fresh by its age (below 0), it stayed
    so until the clock caught up: days after a clock put right by days."""
    return (at - now).total_seconds() > STEP_SECONDS


def counted_from(since: datetime | None, now: datetime) -> datetime:
    """Given when a run of failures began (None: it begins now), return the
    moment its length counts from: ``now`` for one stamped after ``now``. The
    wall clock was set back since (NTP, a VM restored, a database copied from
    a machine whose clock ran ahead); counted from the future, an hour set back
    kept the alert quiet for that hour on top of its delay."""
    return now if since is None or since > now else since


def call_began(
    now: datetime,
    tick: float | None,
    seconds: float,
    stepped_at: float | None,
    answered: float | None,
) -> datetime | None:
    """Given a call's end on the wall clock and on the monotonic one (None:
    not known), its length in seconds (monotonic), and the monotonic clock at
    the last look that saw the wall clock step or the machine sleep and at
    the panel's last answer (None: none seen), return the wall-clock moment
    the call began, never before that answer (another call answered meanwhile:
    the panel was there then). None when it cannot be told: no monotonic
    clock, or a step or a sleep seen since that moment (the wall clock's
    reading then was of another clock; a run of failures counts from the
    call's end then)."""
    if tick is None:
        return None
    began = tick - max(0.0, seconds)
    if answered is not None and answered > began:
        began = answered
    if stepped_at is not None and stepped_at > began:
        return None
    return now - timedelta(seconds=tick - began)


def clock_step(
    before: datetime | None, tick_before: float | None, now: datetime, tick: float | None
) -> float:
    """Given two readings of the wall clock and of the monotonic one (None:
    not known), return how many seconds further the wall clock went than the
    monotonic one between them: above 0 set forward, or a sleep the monotonic
    clock does not count (a VM or laptop suspended); below 0 set back. 0.0
    when within ``STEP_SECONDS`` (NTP's slewing) or not known."""
    if before is None or tick_before is None or tick is None:
        return 0.0
    step = (now - before).total_seconds() - (tick - tick_before)
    return step if abs(step) > STEP_SECONDS else 0.0


def stepped_forward(
    before: datetime | None, tick_before: float | None, now: datetime, tick: float | None
) -> bool:
    """Given two readings of the wall clock and of the monotonic one (None:
    not known), return whether the wall clock went more than ``STEP_SECONDS``
    further between them (:func:`clock_step`). Nothing was tried in that gap,
    so nothing failed in it: a run of failures spanning it counts from the
    first after it."""
    return clock_step(before, tick_before, now, tick) > 0


@dataclass(frozen=True)
class Gap:
    """The seconds the wall clock went further than the monotonic one
    (:func:`clock_step`: above 0 asleep or set ahead, below 0 set back), and
    how many of them the boot clock saw pass asleep (None: no boot clock to
    tell a sleep from a step by). The rest of ``seconds`` is the clock set
    (:attr:`set_by`)."""

    seconds: float = 0.0
    asleep: float | None = None

    def __bool__(self) -> bool:
        return bool(self.seconds or self.asleep)

    def __add__(self, other: Gap) -> Gap:
        """Both gaps together (a sleep known and one not: not known)."""
        if not other:
            return self
        if not self:
            return other
        asleep = None if self.asleep is None or other.asleep is None else self.asleep + other.asleep
        return Gap(self.seconds + other.seconds, asleep)

    @property
    def forward(self) -> bool:
        """Whether time went unwatched: the clock set ahead, or a sleep."""
        return self.seconds > 0 or (self.asleep or 0.0) > 0

    @property
    def set_by(self) -> float | None:
        """The seconds the clock was set (above 0 ahead, below 0 back), or
        None when a sleep cannot be told from a step (no boot clock)."""
        return None if self.asleep is None else self.seconds - self.asleep


NO_GAP = Gap()  # no step, no sleep


def clock_gap(
    before: tuple[datetime, float | None, float | None] | None,
    now: tuple[datetime, float | None, float | None],
) -> Gap:
    """Given two looks at (the wall clock, the monotonic one, the boot one)
    (None: not known), return the :class:`Gap` between them. With the boot
    clock at both looks, the seconds it went further than the monotonic one
    were asleep, and those the wall clock went further than the boot one were
    the clock set; each counts past ``STEP_SECONDS`` only (NTP's slewing)."""
    if before is None:
        return Gap()
    (at, tick_before, boot_before), (wall, tick, boot) = before, now
    step = clock_step(at, tick_before, wall, tick)
    if boot is None or boot_before is None or tick is None or tick_before is None:
        return Gap(step)
    asleep = (boot - boot_before) - (tick - tick_before)
    asleep = asleep if asleep > STEP_SECONDS else 0.0
    set_by = (wall - at).total_seconds() - (boot - boot_before)
    set_by = set_by if abs(set_by) > STEP_SECONDS else 0.0
    return Gap(asleep + set_by, asleep)


# The forward steps kept (the latest): a clock set ahead this often is set
# ahead more often than anything waits on it.
KEPT_STEPS = 16


class SetAhead(NamedTuple):
    """A step of the wall clock forward, a sleep not told from it: a moment
    stamped before ``before`` was stamped by a clock ``seconds`` behind today's."""

    before: datetime
    seconds: float


def seen_ahead(steps: Sequence[SetAhead], now: datetime, gap: Gap) -> tuple[SetAhead, ...]:
    """Given the forward steps seen so far, ``now`` and the clock's
    :class:`Gap` since the last look, return the
    steps with this one's: the clock set ahead by so much, or the whole gap
    when a sleep cannot be told from a step (no boot clock: a cancel waits
    longer, an order is given up later, never sooner). A sleep is real
    time passing: none."""
    ahead = gap.seconds if gap.set_by is None else gap.set_by
    if ahead <= 0:
        return tuple(steps)
    return (*steps, SetAhead(now - timedelta(seconds=ahead), ahead))[-KEPT_STEPS:]


def set_ahead_since(steps: Sequence[SetAhead], since: datetime) -> float:
    """Given the forward steps seen and a stored moment, return the seconds the
    clock was set ahead after it was stamped: a Pending order first seen at
    20:00 under a clock set ahead 8 h at 21:00 has been Pending 1 h, not 9."""
    return sum(step.seconds for step in steps if since < step.before)

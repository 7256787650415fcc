"""When database writes that waited long for the write lock are told in the log.

Pure: the moments are the caller's (seconds of a monotonic clock). The store
(:mod:`tracker.store.write_waits`) hands over the writes that waited long
and got the lock (one that got none fails with "database PATH is busy",
which says it) and, while a spell is open, every write. The first slow
write opens a spell and is told at once (``database_write_slow``). The slow
writes after it are told together, at most once every :data:`SAY_EVERY`
seconds: how many, the one that waited longest. The first write once none
has been slow for :data:`QUIET` seconds closes the spell
(``database_write_slow_ended``, with the slow writes not yet told). A
database another process holds for ten minutes makes a dozen lines, not one
per write of every job.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SLOW = "database_write_slow"
ENDED = "database_write_slow_ended"
SAY_EVERY = 60.0  # seconds between two lines of one spell
QUIET = 60.0  # seconds without a slow write that close a spell


@dataclass(frozen=True)
class SlowWrite:
    """One write that waited long: the seconds from asking to write to holding
    SQLite's write lock, the seconds its transaction then held it, what it
    was (a job's name or a caller's label)."""

    waited: float
    held: float
    what: str


@dataclass(frozen=True)
class Told:
    """A line to log: ``writes`` slow writes since the spell's last line, the
    one that waited longest (None: none since), and the seconds since the
    spell's first slow write."""

    event: str
    writes: int
    longest: SlowWrite | None
    lasted: float


@dataclass(frozen=True)
class Spell:
    """Slow writes close together: when the first was, when the last line was
    said, when the latest slow write was, and what is not told yet."""

    first: float
    said: float
    last: float
    writes: int = 0
    longest: SlowWrite | None = None


def judge_write(
    spell: Spell | None, now: float, write: SlowWrite | None
) -> tuple[Spell | None, list[Told]]:
    """Given the open spell (None: none), the moment a write ended and the
    write when it waited long (None: a quick one), return the spell after it
    and the lines to log."""
    told: list[Told] = []
    if spell is not None and now - spell.last >= QUIET:  # over: tell what is left
        told.append(_told(ENDED, spell, spell.last))
        spell = None
    if write is None:
        return spell, told
    if spell is None:
        first = Told(SLOW, 1, write, 0.0)
        return Spell(first=now, said=now, last=now), [*told, first]
    longest = spell.longest
    if longest is None or write.waited > longest.waited:
        longest = write
    spell = replace(spell, last=now, writes=spell.writes + 1, longest=longest)
    if now - spell.said >= SAY_EVERY:
        told.append(_told(SLOW, spell, now))
        spell = Spell(first=spell.first, said=now, last=now)
    return spell, told


def _told(event: str, spell: Spell, until: float) -> Told:
    return Told(event, spell.writes, spell.longest, until - spell.first)

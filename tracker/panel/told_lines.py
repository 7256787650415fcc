"""A poll's lines told once per episode: the first at warning, the same line
after it at debug, one line when a poll goes without it.

A poll's ``status_reask_failed`` and ``status_refused_alike``
(:mod:`tracker.jobs.asking`) come from its worker threads, a batch at a time,
poll after poll while the panel fails so: the daemon warned them at every
poll of the episode (a line a minute, several a poll). Kept per client
(:attr:`tracker.panel.whole_calls.WholeCalls.told_lines`): a line's episode
begins at its first, told at warning (at debug when an earlier ``run
--once`` told it: ``carried``), goes on while polls keep saying it, and
ends at the first poll that asked the panel and did not say it, told then
in one line (``<line>_ended``, by the poll's caller).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import NamedTuple


@dataclass
class Spell:
    """One line's episode: how many times it was said, in how many polls,
    and whether the poll going on said it."""

    times: int = 0
    polls: int = 0
    now: bool = False


class Ended(NamedTuple):
    """A line's episode over: the line, the times it was said, the polls that said it."""

    line: str
    times: int
    polls: int


class ToldLines:
    """The open episodes of one panel's poll lines (see the module). Thread-safe:
    the poll's worker threads tell, its thread ends the poll."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Spell] = {}

    def tell(self, line: str, *, carried: bool = False) -> bool:
        """Count one ``line`` said now; return True when it is to be told at
        warning: the first of its episode, not told by an earlier run (``carried``)."""
        with self._lock:
            spell = self._open.get(line)
            first = spell is None
            if spell is None:
                spell = self._open[line] = Spell()
            spell.times += 1
            spell.now = True
        return first and not carried

    def poll_done(self, asked: bool) -> list[Ended]:
        """A poll ended. When it asked the panel and was not cut short
        (``asked``), each open line it did not say ends: return those. A line
        it said counts one poll more."""
        with self._lock:
            ended = []
            for line, spell in list(self._open.items()):
                if spell.now:
                    spell.polls, spell.now = spell.polls + 1, False
                elif asked:
                    del self._open[line]
                    ended.append(Ended(line, spell.times, spell.polls))
            return ended

    def take_over(self, before: ToldLines) -> None:
        """At a reload: the old client's open episodes (the same panel at the
        same URL) go on here, told already."""
        with before._lock:
            kept = {line: Spell(s.times, s.polls, s.now) for line, s in before._open.items()}
        with self._lock:
            self._open.update(kept)

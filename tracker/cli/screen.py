"""What a table looks like on a terminal: short times, free text wrapped in
its own column (and, in :mod:`tracker.cli.render`, no column empty in every
row; the table fitted to the width: :mod:`tracker.cli.table_fit`). Piped
output never comes here.

Pure but for :func:`stdout_screen`, the one look at stdout: the renderers
take the :class:`Screen` it returns (None: not a terminal, output as for a
script) as a parameter; and :func:`stderr_screen`, the one look at stderr,
whose Screen the commands pass to :func:`fitted` for their notes there.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from tracker.cli.cells import on_screen, wrap_text
from tracker.clock import utcnow
from tracker.terminal import stdout_is_terminal

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A stored moment (clock.iso: UTC, seconds) at the start of a cell, perhaps
# with words after it ("2026-12-04T18:20:00+00:00 (stalled)").
_STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(:\d\d)(?:\.\d+)?(?:\+00:00|Z)")
EMPTY = "-"  # what a table shows for no value
NARROWEST_TEXT = 20  # a free-text column is wrapped no narrower than this
NARROWEST_FOLD = 11  # nor a column of words ("In progress" stays on one line)
NARROWEST_NAME = 9  # nor a name broken, the last resort ("reseller-" / "backup-eu")


class Screen(NamedTuple):
    """A terminal: ``now`` (UTC) says which day is today, ``width`` its columns."""

    now: datetime
    width: int = 80


def stdout_screen() -> Screen | None:
    """Return the terminal stdout is (its width from $COLUMNS or the terminal
    itself), or None when stdout is a pipe, a file or closed: a script's."""
    if not stdout_is_terminal():
        return None
    return terminal_screen()


def terminal_screen() -> Screen:
    """Return stdout's terminal, known to be one (its width from $COLUMNS or
    the terminal itself)."""
    return Screen(utcnow(), shutil.get_terminal_size().columns)


def stderr_screen() -> Screen | None:
    """Return the terminal stderr is, for the notes a command prints there:
    its width as the tables' ($COLUMNS, else stdout's terminal), stderr's own
    terminal's when stdout is none (`orders | less`); None when stderr is a
    pipe, a file or closed (scripts and logs read a note a line)."""
    if not stderr_is_terminal():
        return None
    return Screen(utcnow(), stderr_columns())


def stderr_columns() -> int:
    """The columns of stderr's terminal as the notes use them: $COLUMNS, else
    stdout's terminal's, else stderr's own, else 80; read again at each call
    (a terminal resized while the daemon logs)."""
    try:
        own = os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):  # no descriptor: $COLUMNS or 80
        own = 80
    return shutil.get_terminal_size((own, 24)).columns


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (not a pipe, a file, or closed)."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except ValueError:  # closed
        return False


def error_text(lines: Sequence[str]) -> str:
    """Given an error's lines as :func:`tracker.cli.main.fail` says them (the
    first, then its details indented), return the text it writes on stderr:
    every control character escaped; into the journal each line an error's
    (``<3>``: ``journalctl -p err`` shows it); on a terminal each wrapped at
    its words to its width, as the notes, under its own indent; else (a
    pipe, a file, cron's mail) one line each, as scripts and logs read them."""
    from tracker.terminal import escape_controls, is_journal

    mark = "<3>" if is_journal(sys.stderr) else ""
    screen = None if mark else stderr_screen()
    said = [escape_controls(line) for line in lines]
    return "\n".join(
        mark + fitted(line, screen, len(line) - len(line.lstrip()) + 2) for line in said
    )


# How much of a time a column shows: the minute; the second (two moments
# of a row seconds apart, changes in a row); the minute today, the day else
# (a listing glanced at: when it was checked, when it should end).
MINUTE, SECOND, DAY = "minute", "second", "day"


def short_time(text: str, now: datetime, shows: str = MINUTE) -> str:
    """Given a cell starting with a stored UTC moment, return it as a person
    reads it in a table: "15:43" today (UTC), "Dec 03 22:17" another day of
    the year, "2025-12-03 22:17" another year; ``shows`` SECOND: "15:43:14";
    DAY: "15:43" today, the date alone another day ("Dec 03"). Words after
    the moment are kept; any other text is returned as it is."""
    found = _STAMP.match(text)
    if found is None or not 1 <= int(found.group(2)) <= 12:  # month 13: as it is
        return text
    year, month, day, hour, minute, secs = found.groups()
    clock = f"{hour}:{minute}{secs if shows == SECOND else ''}"
    rest = text[found.end() :]
    if (int(year), int(month), int(day)) == (now.year, now.month, now.day):
        return clock + rest
    date = f"{_MONTHS[int(month) - 1]} {day}" if int(year) == now.year else f"{year}-{month}-{day}"
    return f"{date}{rest}" if shows == DAY else f"{date} {clock}{rest}"


@dataclass(frozen=True)
class Columns:
    """What a table's columns are, for a terminal: ``times`` (a column of
    stored moments, and how much of them it shows: MINUTE, SECOND, DAY),
    ``wrap`` (the last column, free text: wrapped, never cut), ``units`` (a
    column naming another's unit, the currency of a charge: said once in
    that column's header when the same in every row), ``fold`` (a column of
    words, the panel's status: wrapped within its column, whole words, when
    the table would not fit the screen otherwise; several, the first
    wrapped first, the next only when the table still would not fit),
    ``names`` (columns of one word, a panel's name: never cut on a
    terminal; when the table would still not fit, broken after a '-', '_'
    or '.', then the ``fold`` columns' words broken inside too),
    ``narrowest`` (the free text is wrapped beside its row only with this
    many columns left for it, else put on lines under its row), ``moves``
    (a column whose cells end in words in parentheses, "365d (lifetime)":
    when the table would not fit the screen otherwise, before any fold,
    those words move to the end of the free text, under the label given,
    "(refill 365d: lifetime)", the cell keeping "365d")."""

    times: Mapping[str, str] = field(default_factory=dict)
    wrap: str | None = None
    units: Mapping[str, str] = field(default_factory=dict)
    fold: str | tuple[str, ...] | None = None
    names: tuple[str, ...] = ()
    narrowest: int = NARROWEST_TEXT
    moves: Mapping[str, str] = field(default_factory=dict)

    @property
    def folds(self) -> tuple[str, ...]:
        """The ``fold`` columns, the first wrapped first."""
        return (self.fold,) if isinstance(self.fold, str) else self.fold or ()


class Layout(NamedTuple):
    """What every chunk of a listing longer than one shows, read from all its
    rows before the first is printed: the ``columns`` with something in some
    row, and ``units``, each unit column's unit when the same in every row
    (said once, in a header)."""

    columns: tuple[str, ...]
    units: Mapping[str, str]


def fitted(line: str, screen: Screen | None, indent: int = 2) -> str:
    """Given a line of words a listing prints (not a table's), or a note on
    stderr (``screen``: stderr's), return it as the ``screen`` shows it:
    wrapped at its words to its width, the lines after the first indented
    by ``indent``, every character kept; as it is when not a terminal
    (None: piped, one line, as scripts and logs read it)."""
    if screen is None or on_screen(line) <= screen.width:
        return line
    words = line.lstrip(" ")
    lead = line[: len(line) - len(words)]  # its own indent, kept
    first = wrap_text(words, max(screen.width - len(lead), NARROWEST_TEXT))[0]
    rest = words[len(first) :].lstrip(" ")
    more = wrap_text(rest, max(screen.width - indent, NARROWEST_TEXT)) if rest else []
    return "\n".join(part.rstrip() for part in [lead + first, *(" " * indent + p for p in more)])


def moment(text: str | None, screen: Screen | None, shows: str = MINUTE) -> str:
    """Given a stored moment said in a line of words ("stalled since ..."),
    return it as on a terminal, "14:02 UTC"; as stored when not a terminal;
    NULL (a file edited by hand) as "an unknown time"."""
    if text is None:
        return "an unknown time"
    if screen is None or _STAMP.match(text) is None:
        return text
    return f"{short_time(text, screen.now, shows)} UTC"


def moments(line: str, screen: Screen | None, shows: str = MINUTE) -> str:
    """Given a line of words with stored moments anywhere in it ("failed
    since 2026-12-05T07:49:24+00:00: ..."), return it with each as
    :func:`moment` says it on a terminal, "07:49 UTC"; as it is when not a
    terminal (None: piped, as scripts read it)."""
    if screen is None:
        return line

    def said(found: re.Match[str]) -> str:
        stamp = found.group(0)
        short = short_time(stamp, screen.now, shows)
        return stamp if short == stamp else f"{short} UTC"  # month 13: as it is

    return _STAMP.sub(said, line)

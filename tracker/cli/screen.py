"""What a table looks like on a terminal: short times, free text wrapped in
its own column (and, in :mod:`tracker.cli.render`, no column empty in every
row). Piped output never comes here.

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

from tracker.cli.cells import on_screen, squeeze, wrap_text
from tracker.clock import utcnow

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A stored moment (clock.iso: UTC, seconds) at the start of a cell, perhaps
# with words after it ("2026-12-04T18:20:00+00:00 (stalled)").
_STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(:\d\d)(?:\.\d+)?(?:\+00:00|Z)")
EMPTY = "-"  # what a table shows for no value
NARROWEST_TEXT = 20  # a free-text column is wrapped no narrower than this
NARROWEST_FOLD = 11  # nor a column of words ("In progress" stays on one line)
NARROWEST_NAME = 9  # nor a name broken, the last resort ("reseller-" / "backup-eu")


@dataclass(frozen=True)
class Screen:
    """A terminal: ``now`` (UTC) says which day is today, ``width`` its columns."""

    now: datetime
    width: int = 80


def stdout_screen() -> Screen | None:
    """Return the terminal stdout is (its width from $COLUMNS or the terminal
    itself), or None when stdout is a pipe, a file or closed: a script's."""
    if not stdout_is_terminal():
        return None
    return Screen(utcnow(), shutil.get_terminal_size().columns)


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (not a pipe, a file, or closed)."""
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # closed
        return False


def stderr_screen() -> Screen | None:
    """Return the terminal stderr is, for the notes a command prints there:
    its width as the tables' ($COLUMNS, else stdout's terminal), stderr's own
    terminal's when stdout is none (`orders | less`); None when stderr is a
    pipe, a file or closed (scripts and logs read a note a line)."""
    if not stderr_is_terminal():
        return None
    try:
        own = os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):  # no descriptor: $COLUMNS or 80
        own = 80
    return Screen(utcnow(), shutil.get_terminal_size((own, 24)).columns)


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (not a pipe, a file, or closed)."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except ValueError:  # closed
        return False


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
    or '.', then the ``fold`` columns' words broken inside too)."""

    times: Mapping[str, str] = field(default_factory=dict)
    wrap: str | None = None
    units: Mapping[str, str] = field(default_factory=dict)
    fold: str | tuple[str, ...] | None = None
    names: tuple[str, ...] = ()

    @property
    def folds(self) -> tuple[str, ...]:
        """The ``fold`` columns, the first wrapped first."""
        return (self.fold,) if isinstance(self.fold, str) else self.fold or ()


@dataclass(frozen=True)
class Layout:
    """What every chunk of a listing longer than one shows, read from all its
    rows before the first is printed: the ``columns`` with something in some
    row, and ``units``, each unit column's unit when the same in every row
    (said once, in a header)."""

    columns: tuple[str, ...]
    units: Mapping[str, str]


@dataclass
class Shown:
    """A table as a terminal shows it: the lines in ``below`` (by line of
    ``cells``) are printed under that line, the free text that found no room
    beside its row; ``heads_under``, when not empty, a second header line
    (the unit or "UTC" of a header wider than its column's cells)."""

    heads: list[str]
    cells: list[list[str]]
    below: dict[int, list[str]] = field(default_factory=dict)
    heads_under: list[str] = field(default_factory=list)


def shown(
    screen: Screen,
    spec: Columns,
    columns: Sequence[str],
    heads: list[str],
    cells: list[list[str]],
    whole: bool = True,
    said: Mapping[str, str] | None = None,
    headed: bool = True,
) -> Shown:
    """Given a table's columns, headers and cells, return them as a terminal
    shows them: times short, "UTC" said once, in the header of the time
    column it widens least; a unit the same in every row said once in a
    header (when the cells are the ``whole`` table; in a chunk of a longer
    one, the unit ``said`` of the whole listing); the free text wrapped in
    its column, or on lines under its row when the other columns leave it no
    room, and always in a chunk of a longer listing (not ``whole``: every
    chunk puts it the same way, whatever its widths); the ``spec.folds``
    columns' words wrapped within them, then the last word of a header
    ("USD", "UTC") put on a second header line, when the table would pass
    the screen otherwise; then, as a last resort, the ``spec.names`` and
    ``spec.folds`` columns narrowed, their words broken inside; not
    ``headed``: a chunk going on under another's, its header not printed.
    Nothing is cut."""
    cheapest: tuple[int, int] | None = None  # (columns "UTC" adds, column)
    for i, column in enumerate(columns):
        if column in spec.times:
            for row in cells:
                row[i] = short_time(row[i], screen.now, spec.times[column])
            width = max([len(heads[i])] + [on_screen(r[i]) for r in cells])
            cost = max(0, len(heads[i]) + 4 - width)
            cheapest = (cost, i) if cheapest is None or cost < cheapest[0] else cheapest
    if cheapest is not None:
        heads[cheapest[1]] += " UTC"
    names = list(columns)
    for unit, of in spec.units.items():
        if unit not in names or of not in names:  # left out: "-" in every row
            continue
        at, to = names.index(unit), names.index(of)
        units = {r[at] for r in cells} - {EMPTY} if whole else {(said or {}).get(unit, EMPTY)}
        units.discard(EMPTY)
        if len(units) != 1:
            continue
        one = units.pop()
        heads[to] += " " + one
        for row in cells:  # another, in a row read after the listing was laid out: said there
            if row[at] not in (EMPTY, one):
                row[to] += " " + row[at]
            del row[at]
        del names[at], heads[at]
    table = Shown(heads, cells)
    if cells:
        text = spec.wrap is not None and names[-1:] == [spec.wrap]
        beside = names[: len(names) - text]  # the columns beside the free text
        folds = [names.index(f) for f in spec.folds if f in beside]
        last = [(names.index(f), NARROWEST_NAME) for f in spec.names if f in beside]
        last += [(fold, NARROWEST_FOLD) for fold in folds]
        _fit(screen.width, table, (folds, last), text, (not whole, headed))
    return table


def _fit(
    width: int,
    table: Shown,
    narrowed: tuple[list[int], list[tuple[int, int]]],
    text: bool,
    chunk: tuple[bool, bool],
) -> None:
    """Wrap the ``folds`` columns' words within them, one after the other,
    while the columns but the free text (the last, when ``text``) pass
    ``width``, then put the headers' last words on a line of their own, then
    narrow the ``last`` columns (column, narrowest) breaking their words
    (``narrowed``: folds, last); wrap the free text to what the others
    leave, or, with less than NARROWEST_TEXT left or when told, move it
    under its row, whole (``chunk``: under, headed)."""
    heads, cells = table.heads, table.cells
    folds, last = narrowed
    under, headed = chunk
    widths = [max(on_screen(h), *(on_screen(r[i]) for r in cells)) for i, h in enumerate(heads)]
    fixed = widths[:-1] if text else widths
    wrapped: dict[int, int] = {}  # column: the width its words are wrapped to
    for fold in folds:
        to = _fold_width(width, fixed, fold, heads, cells)
        if to is not None:
            fixed[fold] = wrapped[fold] = to
    if sum(fixed) + 2 * (len(fixed) - 1) > width:
        _fold_heads(table, fixed, wrapped)
        head_lines = [heads, table.heads_under] if table.heads_under else [heads]
        squeeze(width, head_lines, cells, fixed, wrapped, last, headed)
    room = width - sum(fixed) - 2 * len(fixed)
    beside = text and not under and room >= max(NARROWEST_TEXT, on_screen(heads[-1]))
    indent = fixed[0] + 2 if fixed else 0  # the text under its row: under the second column
    lines: list[list[str]] = []
    for row in cells:
        parts = {i: [cell] for i, cell in enumerate(row)}  # each cell's lines
        for fold, to in wrapped.items():
            parts[fold] = wrap_text(row[fold], to)
        if beside:
            parts[len(row) - 1] = wrap_text(row[-1], room)
        below = parts.pop(len(row) - 1)[0] if text and not beside else EMPTY
        for k in range(max(map(len, parts.values()), default=1)):
            lines.append([cell[k] if k < len(cell) else "" for cell in parts.values()])
        if below != EMPTY:  # after the row's last line
            wrapped_text = wrap_text(below, max(width - indent, NARROWEST_TEXT))
            table.below[len(lines) - 1] = [" " * indent + line for line in wrapped_text]
    table.cells = lines
    if text and not beside:
        heads.pop()
        if table.heads_under:
            table.heads_under.pop()


def _fold_heads(table: Shown, fixed: list[int], wrapped: dict[int, int]) -> None:
    """Put the last word of each header of the ``fixed`` columns wider than
    its cells ("CHARGE USD" over "0.27819", "CHECKED UTC" over "15:44") on a
    second header line, and narrow ``fixed`` to match."""
    under = [""] * len(table.heads)
    for i in range(len(fixed)):
        first, _, last = table.heads[i].rpartition(" ")
        cells = wrapped.get(i) or max(on_screen(r[i]) for r in table.cells)
        narrower = max(on_screen(first), on_screen(last), cells)
        if first and narrower < fixed[i]:
            table.heads[i], under[i], fixed[i] = first, last, narrower
    if any(under):
        table.heads_under = under


def _fold_width(
    width: int, fixed: list[int], fold: int, heads: list[str], cells: list[list[str]]
) -> int | None:
    """The width the ``fold`` column is wrapped to so that the ``fixed``
    columns fit ``width``: never narrower than its header, NARROWEST_FOLD, or
    its longest word up to NARROWEST_TEXT; None when it fits unwrapped."""
    budget = width - (sum(fixed) - fixed[fold]) - 2 * (len(fixed) - 1)
    longest = max(on_screen(word) for row in cells for word in row[fold].split(" "))
    to = max(budget, on_screen(heads[fold]), NARROWEST_FOLD, min(longest, NARROWEST_TEXT))
    return to if fixed[fold] > to else None


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

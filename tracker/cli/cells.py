"""A cell's text on a terminal: the columns it takes, its lines at a width,
and the last resort of a table still wider than the screen once its words
are wrapped and its headers folded: columns narrowed by breaking their
words inside, every character kept. Pure: text in, text out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

_ZERO_WIDTH = ("Mn", "Me")  # combining marks, a variation selector
# Where a word longer than its line is broken first: after one of these
# ("reseller-" / "backup-eu"), when that keeps half the line at least.
_BREAKS = "-_./"


def on_screen(text: str) -> int:
    """Given a cell's text, return the terminal columns it takes: two for an
    East Asian wide character or an emoji ("最", "🔥"), none for a combining
    mark (the accent of "e\\u0301"), one for the rest."""
    if text.isascii():
        return len(text)
    return sum(
        0
        if unicodedata.category(c) in _ZERO_WIDTH
        else 2
        if unicodedata.east_asian_width(c) in "WF"
        else 1
        for c in text
    )


def wrap_text(text: str, width: int) -> list[str]:
    """Given text and a width in terminal columns, return its lines: broken at
    spaces, a word longer than a line broken inside it (after a '-', '_',
    '.' or '/' when there is one past the line's middle); every character
    kept."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if on_screen(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while on_screen(line) > width:
            cut = _fitting(line, width)
            after = max(line.rfind(c, 0, cut) for c in _BREAKS) + 1
            cut = after if 2 * after > cut else cut
            lines.append(line[:cut])
            line = line[cut:]
    lines.append(line)
    return lines


def _fitting(text: str, width: int) -> int:
    """How many characters of ``text`` fit in ``width`` columns (one at least)."""
    for n in range(len(text), 0, -1):
        if on_screen(text[:n]) <= width:
            return n
    return 1


def squeeze(
    width: int,
    heads: Sequence[Sequence[str]],
    cells: Sequence[Sequence[str]],
    fixed: list[int],
    wrapped: dict[int, int],
    order: Sequence[tuple[int, int]],
    headed: bool = True,
) -> None:
    """Given a table's header lines (``heads``), its cells, the widths of its
    columns but the free text (``fixed``: a folded column's, the width it is
    wrapped to) and those it wraps (``wrapped``: column, width), narrow the
    columns of ``order`` (column, narrowest width), each in turn, while the
    table passes ``width``: their words broken inside (a panel's name after
    its '-', '_' or '.'), never narrower than their header. ``fixed`` and
    ``wrapped`` are updated only when the table passes ``width`` as its
    cells are wrapped now. The last column's header counts only when the
    table is ``headed`` (a chunk going on under another's prints none)."""
    last = len(fixed) - 1

    def taken(column: int, to: int | None) -> int:
        texts = [row[column] for row in cells]
        lines = texts if to is None else [line for text in texts for line in wrap_text(text, to)]
        if column != last or headed:  # a header pads its column, but the last's ends its line
            lines += [head[column] for head in heads]
        return max(map(on_screen, lines), default=0)

    def excess() -> int:
        return sum(fixed) + 2 * last - width

    real = [taken(i, wrapped.get(i)) for i in range(len(fixed))]
    if sum(real) + 2 * last <= width:
        return
    fixed[:] = real
    for column, narrowest in order:
        if excess() <= 0:
            return
        heading = max(on_screen(head[column]) for head in heads)
        to = max(narrowest, heading, fixed[column] - excess())
        if to < fixed[column]:
            wrapped[column] = to
            fixed[column] = taken(column, to)

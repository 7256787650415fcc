"""A table on a terminal too narrow for it even with its words wrapped and
its names broken (a split pane, a phone's SSH client): each row as words
instead, each cell after its column's name ("status In progress", "checked
15:44 UTC"), as many to a line as fit, the lines after a row's first
indented, as ``report``'s scorecard shows a service's figures. Pure: cells
in, lines out; piped output never comes here.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.cli.cells import on_screen, wrap_text
from tracker.cli.screen import EMPTY, Columns, Screen, short_time

INDENT = "  "  # a row's lines after its first


def in_words(
    screen: Screen,
    spec: Columns,
    columns: Sequence[str],
    heads: Sequence[str],
    cells: list[list[str]],
) -> str:
    """Given a table's columns, headers and cells as stored (times not yet
    short, units in their own column), return its rows as words on the
    ``screen``: a cell "-" (no value) or empty left out, a time short
    with "UTC" after it ("eta Dec 05 UTC (stalled)"), a unit after its
    figure ("charge 0.27819 USD"); every other character kept, a word
    longer than a line broken inside it."""
    units = {of: unit for unit, of in spec.units.items() if unit in columns and of in columns}
    lines: list[str] = []
    for row in cells:
        said = dict(zip(columns, row, strict=True))
        items: list[str] = []
        for column, head, cell in zip(columns, heads, row, strict=True):
            if cell in (EMPTY, "") or column in spec.units and spec.units[column] in columns:
                continue
            if column in spec.times:  # a stored moment has no blank: words may follow it
                stamp, blank, rest = cell.partition(" ")
                shown = short_time(stamp, screen.now, spec.times[column])
                cell = cell if shown == stamp else f"{shown} UTC{blank}{rest}"
            if said.get(units.get(column, ""), EMPTY) != EMPTY:
                cell += " " + said[units[column]]
            items.append(f"{head.lower()} {cell}")
        lines.extend(_packed(items, screen.width))
    return "\n".join(lines)


def _packed(items: Sequence[str], width: int) -> list[str]:
    """A row's items, two blanks apart, as many to a line as fit ``width``;
    the lines after the first indented."""
    rest = max(width - len(INDENT), 1)
    lines: list[str] = []
    for item in items:
        room = rest if lines[1:] else max(width, 1)  # the first line has no indent
        if lines and on_screen(f"{lines[-1]}  {item}") <= room:
            lines[-1] += f"  {item}"
            continue
        if not lines:  # the row's first line: as wide as the screen, the rest indented
            lines.append(wrap_text(item, room)[0])
            item = item[len(lines[0]) :].lstrip(" ")
            if not item:
                continue
        lines.extend(wrap_text(item, rest))
    return [lines[0], *(INDENT + line for line in lines[1:])] if lines else []

"""A table fitted to a terminal's width, nothing cut: times short and "UTC"
said once, a unit the same in every row said once in its header, a cell's
words in parentheses moved to the free text, the words of a status folded
within their column, a header's last word on a second
header line, then names and words broken inside as a last resort; the free
text wrapped beside its row or put under it. Pure: the :class:`Screen` and
the :class:`Columns` come from :mod:`tracker.cli.screen`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from tracker.cli.cells import on_screen, squeeze, wrap_text
from tracker.cli.screen import (
    EMPTY,
    NARROWEST_FOLD,
    NARROWEST_NAME,
    NARROWEST_TEXT,
    Columns,
    Screen,
    short_time,
)

# A listing's unit said in each figure's cell ("1.00 USD", "2.00" with none),
# under a plain header: one unit, but a figure beside it with none (unsaid).
# No cell holds it: a table's cells are escaped.
IN_CELLS = "\x00in cells"
# A figure with no unit in a chunk of a listing whose header, printed once,
# names one ("CHARGE USD"): a row read after it was laid out ("2.00 ?").
NO_UNIT = "?"


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
        # A figure with no unit beside ones in it ("2.00" by "1.00 USD"): each
        # says its own in its cell under a plain header, this one none, as
        # `report` says a spend; it stood under "CHARGE USD", read as dollars.
        if one == IN_CELLS or whole and any(unsaid(r[at], r[to]) for r in cells):
            one = IN_CELLS
        else:
            heads[to] += " " + one
        for row in cells:  # another, in a row read after the listing was laid out: said there
            if row[at] not in (EMPTY, one):
                row[to] += " " + row[at]
            elif one != IN_CELLS and unsaid(row[at], row[to]):  # none, under the one printed
                row[to] += " " + NO_UNIT
            del row[at]
        del names[at], heads[at]
    table = Shown(heads, cells)
    if cells:
        text = spec.wrap is not None and names[-1:] == [spec.wrap]
        beside = names[: len(names) - text]  # the columns beside the free text
        folds = [names.index(f) for f in spec.folds if f in beside]
        last = [(names.index(f), NARROWEST_NAME) for f in spec.names if f in beside]
        last += [(fold, NARROWEST_FOLD) for fold in folds]
        moves = [(names.index(c), label) for c, label in spec.moves.items() if c in beside]
        _fit(screen.width, table, (folds, last), text, (not whole, headed), spec.narrowest, moves)
    return table


def unsaid(unit: str, figure: str) -> bool:
    """Whether a row's ``figure`` (a charge, a rate) keeps a header from
    naming one unit ("CHARGE USD"): it has none ("-": the panel gave no
    currency) and is something, not "-" nor zero (0.00 is 0.00 in any
    currency, as `report` keeps "SPEND USD" over it). Then each figure says
    its own unit in its cell (:data:`IN_CELLS`), this one none."""
    if unit != EMPTY or figure == EMPTY:
        return False
    try:
        return not Decimal(figure).is_zero()
    except (InvalidOperation, ValueError):
        return True


def _fit(
    width: int,
    table: Shown,
    narrowed: tuple[list[int], list[tuple[int, int]]],
    text: bool,
    chunk: tuple[bool, bool],
    narrowest: int = NARROWEST_TEXT,
    moves: Sequence[tuple[int, str]] = (),
) -> None:
    """Move the ``moves`` columns' words in parentheses to the free text (column,
    label: :func:`_move`), then wrap the ``folds`` columns' words within
    them, one after the other, while the columns but the free text (the
    last, when ``text``) pass ``width``, then put the headers' last words on
    a line of their own, then narrow the ``last`` columns (column,
    narrowest) breaking their words (``narrowed``: folds, last); wrap the
    free text to what the others leave, or, with less than ``narrowest``
    left or when told, move it under its row, whole (``chunk``: under,
    headed)."""
    heads, cells = table.heads, table.cells
    folds, last = narrowed
    under, headed = chunk
    widths = [max(on_screen(h), *(on_screen(r[i]) for r in cells)) for i, h in enumerate(heads)]
    fixed = widths[:-1] if text else widths
    for column, label in moves if text else ():
        if sum(fixed) + 2 * (len(fixed) - 1) <= width:
            break
        _move(cells, column, label)
        fixed[column] = max(on_screen(heads[column]), *(on_screen(r[column]) for r in cells))
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
    beside = text and not under and room >= max(narrowest, on_screen(heads[-1]))
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


def _move(cells: list[list[str]], column: int, label: str) -> None:
    """Move each cell's words in parentheses ("365d (lifetime)") to the end
    of its row's free text (the last cell), "(refill 365d: lifetime)" under
    the ``label`` "refill": the cell keeps "365d", the words stay said."""
    for row in cells:
        kept, opened, words = row[column].partition(" (")
        if not opened or not words.endswith(")"):
            continue
        row[column], said = kept, f"({label} {kept}: {words[:-1]})"
        row[-1] = said if row[-1] == EMPTY else f"{row[-1]} {said}"


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

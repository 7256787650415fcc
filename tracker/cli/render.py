"""Plain-text and JSON rendering for the CLI. Pure: rows in, text out."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

from tracker.cli.cells import on_screen
from tracker.cli.screen import Columns, Layout, Screen, short_time
from tracker.cli.table_fit import IN_CELLS, shown, unsaid
from tracker.cli.words import in_words
from tracker.panel.statuses import normalize_order_status, status_reason
from tracker.redact.layout import INVISIBLE
from tracker.rules.delivery import plausible_remains
from tracker.rules.money import money
from tracker.terminal import escape_controls, escape_piped

CELL_WIDTH = 60
# Characters of the panel's words on a line (a refused refill's or cancel's:
# `cancel`, `refill ID` held back, `history ID`): --json keeps them whole.
PANEL_WORDS = 80
# The same minus what JSON itself escapes: what ensure_ascii=False leaves raw.
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f\u2028\u2029{INVISIBLE}]")


def safe_text(text: object, limit: int | None = None) -> str:
    """Given text from a panel (or anything), return it safe for a terminal:
    control characters shown escaped (ESC as \\x1b, LF as \\n), and cut to
    ``limit`` characters with an ellipsis when given."""
    return cut_text(escape_controls(str(text)), limit)


def piped_text(text: object, limit: int | None = None) -> str:
    """:func:`safe_text` for a table's cell piped: a literal backslash
    written ``\\\\`` too (:func:`~tracker.terminal.escape_piped`), so a
    script tells a panel's ``\\n`` from an escaped line break."""
    return cut_text(escape_piped(str(text)), limit)


def cut_text(line: str, limit: int | None) -> str:
    """Given text, return it cut to ``limit`` characters with an ellipsis
    (None: whole). Not escaped: for a cell a table escapes."""
    if limit is not None and len(line) > limit:
        line = line[: limit - 1] + "…"
    return line


def with_reason(status: str | None, raw_status: str | None) -> str | None:
    """Given an order's status and the panel's words for it (``raw_status``),
    return the status as a person reads it: followed by the panel's reason
    when the words were that status and a reason ("Canceled: invalid link"
    shows as "Canceled: invalid link", "Cancelled (link gone)" as "Canceled:
    link gone"); else the status alone. Not escaped: see :func:`safe_text`."""
    reason = status_reason(raw_status)
    if reason is None or status is None or normalize_order_status(raw_status or "")[0] != status:
        return status
    return f"{status}: {reason}"


def _finite(value: Any) -> Any:
    """Non-finite floats (Inf, NaN: not JSON) become None, anywhere in ``value``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Given rows or a document, return valid JSON: never Infinity or NaN, and
    control characters escaped (\\u001b) so it is also safe on a terminal."""

    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):  # money: a number in every --json output
            number = float(obj)  # a sum beyond a float's (three charges of 1e308): none
            return number if math.isfinite(number) else None  # (it wrote Infinity, no JSON)
        if isinstance(obj, set | frozenset | tuple):
            return list(obj)
        return str(obj)

    return _safe_json(json.dumps(_finite(value), indent=2, default=default, ensure_ascii=False))


# A row of plain values as to_json indents it inside a list, by the C
# encoder: json's indenting encoder is pure Python (~65 us a row of `orders
# --json`, against ~12 us). JSON escapes every newline inside a string, so
# the separators alone lay the row out; a NaN or Infinity (not JSON) raises,
# and the row takes to_json's way.
_FLAT_ROW = json.JSONEncoder(
    separators=(",\n    ", ": "), ensure_ascii=False, allow_nan=False
).encode
_PLAIN = frozenset({str, int, float, bool, type(None)})


def row_in_list(row: dict[str, Any]) -> str:
    """Given a row, return ``to_json(row)`` as it reads inside a list (two
    more spaces before every line but the first)."""
    if row and _PLAIN.issuperset(map(type, row.values())):
        try:
            return _safe_json("{\n    " + _FLAT_ROW(row)[1:-1] + "\n  }")
        except ValueError:
            pass
    return to_json(row).replace("\n", "\n  ")


def _safe_json(text: str) -> str:
    """Return JSON ``text`` with what a terminal would obey escaped; the usual
    all-ASCII text is looked at by two C scans, not the pattern."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _UNSAFE_IN_JSON.sub(lambda m: json.dumps(m.group(0))[1:-1], text)  # "\\u200b"


def _cell(value: Any, limit: int | None = CELL_WIDTH, piped: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return piped_text(value, limit) if piped else safe_text(value, limit)


def table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    headers: Sequence[str] | None = None,
    *,
    screen: Screen | None = None,
    spec: Columns | None = None,
    whole: bool = True,
    layout: Layout | None = None,
    headed: bool = True,
    words: bool = True,
    uncut: Collection[str] = (),
) -> str:
    """Given rows and the columns to show, return an aligned text table (its
    header left out when not ``headed``: a chunk going on under another's).
    On a ``screen`` (a terminal; None: a pipe, output as scripts read it), as
    :func:`~tracker.cli.table_fit.shown` makes it for the columns' ``spec``, a
    column "-" in every row left out; but for a chunk of a longer table
    (``whole`` False), the columns and units of the whole listing's
    ``layout`` (without one: every column); a table still wider than the
    screen, its rows as words (:func:`~tracker.cli.words.in_words`; not
    ``words``: as it is, for a caller laying out its own). A cell is cut at
    :data:`CELL_WIDTH` characters, but in the free text a terminal wraps, the
    ``spec``'s fold and name columns (a status, an ID: piped too) and the
    ``uncut`` columns (a reason a pipe reads whole)."""
    heads = list(headers or columns)
    spec = spec or Columns()
    if screen is not None and layout is not None:
        keep = [i for i, c in enumerate(columns) if c in layout.columns]
        left = [(c, h) for c, h in zip(columns, heads, strict=True) if c not in layout.columns]
        columns, heads = [columns[i] for i in keep], [heads[i] for i in keep]
        if left and spec.wrap in columns:
            rows = [_with_left_out(row, left, spec, screen) for row in rows]
    elif screen is not None and whole:
        columns, heads = filled_columns(rows, columns, heads)
    # The free text a terminal wraps is shown whole, as the caller gave it,
    # and so are the words of the columns it wraps within (the status) and
    # the names it may break (the panel's, a refill ID); piped too, but for
    # the free text: a script compares a status or an ID, and `--status`
    # takes it as written.
    whole_cells = {*spec.folds, *spec.names, *([spec.wrap] if screen is not None else [])}
    whole_cells.update(uncut)
    cut = [None if c in whole_cells else CELL_WIDTH for c in columns]
    piped = screen is None  # a script's: a literal backslash doubled
    cells = [
        [_cell(row.get(c), n, piped) for c, n in zip(columns, cut, strict=True)] for row in rows
    ]
    below: dict[int, list[str]] = {}
    under: list[str] = []  # a second header line
    if screen is not None:
        stored = ([list(r) for r in cells], list(heads), list(columns))  # shown() changes them
        said = layout.units if layout is not None else None
        fitted = shown(screen, spec, columns, heads, cells, whole, said, headed=headed)
        heads, cells, below, under = fitted.heads, fitted.cells, fitted.below, fitted.heads_under
    # An ASCII table is padded by characters; any other by terminal columns.
    plain = "".join(map("".join, cells)).isascii()
    size, pad = (len, str.ljust) if plain else (on_screen, _pad_columns)
    widths = [
        max([len(h), *(len(u) for u in under[i : i + 1])] + [size(r[i]) for r in cells])
        for i, h in enumerate(heads)
    ]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()
        for head in ([heads, under] if under else [heads])
        if headed
    ]
    for n, row_cells in enumerate(cells):
        lines.append("  ".join(map(pad, row_cells, widths)).rstrip())
        lines.extend(below.get(n, ()))
    if screen is not None and words and rows and max(map(on_screen, lines)) > screen.width:
        return in_words(screen, spec, stored[2], stored[1], stored[0])
    return "\n".join(lines)


def _with_left_out(
    row: dict[str, Any], left: Sequence[tuple[str, str]], spec: Columns, screen: Screen
) -> dict[str, Any]:
    """Given a row of a chunk and the columns its listing was laid out
    without (empty in every row of the first read), return the row with what
    it holds in them said in its free text, after their headers ("CHARGE
    0.27819 USD; CHECKED 15:44 UTC"): an order polled between the two reads
    kept its charge and CHECKED silently out of the table."""
    said: list[str] = []
    names = [column for column, _ in left]
    for column, head in left:
        cell = _cell(row.get(column))
        if cell == "-" or spec.units.get(column) in names:  # a unit: said with its figure
            continue
        if column in spec.times:
            cell = f"{short_time(cell, screen.now, spec.times[column])} UTC"
        units = [u for u, of in spec.units.items() if of == column and u in names]
        said.append(" ".join([head, cell, *(_cell(row.get(u)) for u in units)]).removesuffix(" -"))
    if not said:
        return row
    text = row.get(spec.wrap) if spec.wrap else None
    return {
        **row,
        str(spec.wrap): "; ".join([*([str(text)] if text not in (None, "") else []), *said]),
    }


def filled_columns(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], headers: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Given rows, columns and their headers, return the columns (and headers)
    that show something in some row: not "-" (no value) in every one."""
    keep = [
        i for i, c in enumerate(columns) if not rows or any(_cell(r.get(c)) != "-" for r in rows)
    ]
    return [columns[i] for i in keep], [headers[i] for i in keep]


def layout_of(rows: Iterable[dict[str, Any]], columns: Sequence[str], spec: Columns) -> Layout:
    """Given every row of a listing (streamed, none kept), return what each
    of its chunks shows on a terminal: the columns not "-" in every row, and
    each ``spec.units`` column's unit when it is the same in every row
    (:data:`~tracker.cli.table_fit.IN_CELLS` when a figure beside it has
    none: then each cell says its own)."""
    filled: set[str] = set()
    units: dict[str, set[str]] = {unit: set() for unit in spec.units if unit in columns}
    bare: set[str] = set()  # the units a figure has none of: said in each cell (IN_CELLS)
    for row in rows:
        filled.update(c for c in columns if c not in filled and _cell(row.get(c)) != "-")
        for unit, seen in units.items():
            if len(seen) < 2:  # two already: said in every row
                seen.add(cell := _cell(row.get(unit)))
                seen.discard("-")
                if (
                    cell == "-"
                    and unit not in bare
                    and unsaid(cell, _cell(row.get(spec.units[unit])))
                ):
                    bare.add(unit)
    one = {
        unit: IN_CELLS if unit in bare else seen.pop()
        for unit, seen in units.items()
        if len(seen) == 1
    }
    # The free text is kept: put under its row in a chunk, it costs no width,
    # and an error a row gained after this read is shown, not left out.
    kept = [c for c in columns if c in filled or (filled and c == spec.wrap)]
    return Layout(tuple(kept or columns), one)


def _pad_columns(cell: str, width: int) -> str:
    return cell + " " * (width - on_screen(cell))


def transition_line(t: dict[str, Any], total: int | None = None) -> str:
    """Given a transition row and the whole order's quantity (None: unknown),
    return one human line: "main #23501  Pending -> In progress"."""
    before = safe_text(t.get("from_status") or "(first seen)", CELL_WIDTH)
    extra = []
    remains = t.get("remains")
    if remains is not None and not plausible_remains(remains, total):
        # -99999999999 of 1000 is no over-delivery of 99999999999: the panel's
        # number, as sent, said to be no figure the tracker counts.
        extra.append(f"remains {remains} (not a delivery figure)")
    elif remains is not None:
        # Panels report over-delivery as negative remains: -2 means 2 extra.
        extra.append(f"remains {remains}" if remains >= 0 else f"over-delivered +{-remains}")
    if t.get("charge") is not None:  # in its currency, as the alert beside it says it
        unit = f" {safe_text(t['currency'], 40)}" if t.get("currency") else ""
        extra.append(f"charge {money(t['charge'])}{unit}")
    tail = f"  ({', '.join(extra)})" if extra else ""
    at = str(t.get("at", ""))[11:19]
    after = safe_text(with_reason(t["to_status"], t.get("raw_status")), CELL_WIDTH)
    return f"{at}  {t['panel']} #{t['order_id']}  {before} -> {after}{tail}"


def alert_line(alert: Any) -> str:
    """Given an alert (kind, message, at), return one human line, aligned with
    :func:`transition_line`: "10:42:57  ALERT  main: order #23503 partial (...)"."""
    at = alert.at.isoformat()[11:19] if alert.at is not None else ""
    return f"{at}  ALERT  {safe_text(alert.message, 500)}"

"""A Datasette plugin registered by ``smm-tracker dashboard``: figures right-aligned, by values.

On Datasette's table, view, row and query pages a figure (a count, an
amount, a share, a duration) stands right-aligned under its right-aligned
column name, so that digits line up: 1,818 over 962. Which columns are
figures is read off the page's values, not listed by name (a new view
column of money or counts was left-aligned until someone added it to the
stylesheet): this hook marks each cell holding a finite number (a table's
int or float; on a query page, where ``money()`` writes amounts as text,
text that reads as a number too) as ``<span class="figure">``, and the
page's script right-aligns each column whose every cell that is not blank
is so marked, its name too (class ``figure``; tracker/data/dashboard.css).
The stylesheet right-aligns each marked cell by itself (no script run, the
figures still line up); the script does what it cannot: the names, and a
figure among a column's text left at the left (class ``amid-text``).
Numbers that are no figure stay at the left: IDs (``id``, ``..._id``, a
service's or a refill's) and yes/no flags (0 or 1, "1 when ..." in
datasette.yml). The text shown is the one Datasette or the money plugin
writes; only the page's cells, not the exports.

Imported only once Datasette is known to be installed (the ``dashboard`` extra).
"""

from __future__ import annotations

import math
import re
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from tracker.cli import datasette_money

# Numbers naming a thing, not counting it: a row's (Datasette's rowid of a
# table without a key of its own), a service's ID, a refill's row
# (refill_changes.refill; services.refill is a flag), an order's judged service.
IDS = frozenset({"id", "rowid", "service", "judged_service", "refill"})
# Yes/no flags, 0 or 1 (tests/test_dashboard_figures.py checks that every
# column datasette.yml describes as "1 when ..." or "1 while ..." is here).
FLAGS = frozenset(
    {"polling", "is_open", "needed_refill", "permanent", "dropped", "dry_run", "supported"}
    | {"active", "cancel", "dripfeed"}
)
# An amount a query page's money() wrote: "21.00", "0.000002", "-3.5".
_WRITTEN = re.compile(r"-?\d+(\.\d+)?")
TEMPLATES = frozenset({"table.html", "row.html", "query.html"})


def figure_column(column: str) -> bool:
    """Whether ``column`` may hold figures: not an ID, not a flag."""
    return not (column in IDS or column in FLAGS or column.endswith("_id"))


def is_figure(value: Any, column: str, table: str | None) -> bool:
    """Whether a cell of ``column`` holding ``value`` is a figure: a finite
    number (not a bool) in a column that is no ID or flag; on a query page
    (``table`` None) text that reads as a number too."""
    if not figure_column(column) or isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return table is None and isinstance(value, str) and _WRITTEN.fullmatch(value) is not None


@hookimpl(tryfirst=True)
def render_cell(value: Any, column: str, table: str | None, row: Any) -> Markup | None:
    """A figure's cell: its text (an amount as the money plugin writes it,
    else as Datasette does) in ``<span class="figure">``; None for any other."""
    if not is_figure(value, column, table):
        return None
    shown = datasette_money.render_cell(value, column, table, row)
    return Markup(f'<span class="figure">{escape(shown or str(value))}</span>')


# What the stylesheet cannot do, column by column: each column whose every
# cell not blank holds a figure, the class "figure" on its name and its cells
# (a column of blanks alone stays as it is); each figure of a column holding
# text too, the class "amid-text" on its cell, at the left as the text is.
# Without the script the figures are right-aligned all the same, by the
# stylesheet (span.figure a block, its text at the right), their names not.
SCRIPT = """
(function () {
  for (const table of document.querySelectorAll("table.rows-and-columns")) {
    const rows = Array.from(table.tBodies).flatMap((body) => Array.from(body.rows));
    table.querySelectorAll("thead th").forEach((name, i) => {
      const cells = rows.map((row) => row.cells[i]).filter(Boolean);
      const held = cells.filter((cell) => cell.textContent.trim() !== "");
      const figures = held.filter((cell) => cell.querySelector(":scope > span.figure"));
      if (!figures.length) return;
      if (figures.length === held.length) {
        name.classList.add("figure");
        cells.forEach((cell) => cell.classList.add("figure"));
      } else {
        figures.forEach((cell) => cell.classList.add("amid-text"));
      }
    });
  }
})();
"""


@hookimpl
def extra_body_script(template: str) -> str | None:
    return SCRIPT if template in TEMPLATES else None

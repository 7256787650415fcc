"""``report``'s scorecard on a terminal: each service's panel, ID and whole
name on a line of their own, with its order count, and its figures on the
line under it, under one header (a spend in several currencies: each on a
line of its own); so the table fits 80 columns and no name is cut. Pure:
rows and a :class:`~tracker.cli.screen.Screen` in, text out. Piped output
never comes here (:mod:`tracker.cli.report` prints its one-line rows for
scripts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracker.cli.cells import on_screen, wrap_text
from tracker.cli.render import safe_text, table
from tracker.cli.screen import Columns, Screen

FIGURES = [
    "completed_pct",
    "partial_pct",
    "canceled_pct",
    "refunded_pct",
    "median",
    "p90",
    "refills",
    "refilled_pct",
    "spend",
    "currency",
]
HEADERS = [
    "DONE",
    "PARTIAL",
    "CANCELED",
    "REFUNDED",
    "MEDIAN",
    "P90",
    "REFILLS",
    "REFILLED",
    "SPEND",
    "CUR",
]
# When the figures with their whole headers are wider than the terminal.
SHORT_HEADERS = {"PARTIAL": "PART", "CANCELED": "CANC", "REFUNDED": "REFUND"}
INDENT = "  "  # the figures, under their service's line
_ONE_CURRENCY = Columns(units={"currency": "spend"})  # "SPEND USD", the CUR column left out


def scorecard_text(rows: Sequence[dict[str, Any]], screen: Screen) -> str:
    """Given the scorecard's rows as ``report`` shows them (its cells
    formatted, ``service_name`` whole, or why a service has none: report's
    words, the only caller) and a terminal, return the table: a
    header of the figures, then for each service the line naming it (wrapped,
    never cut) and its figures, indented under it. PARTIAL, CANCELED and
    REFUNDED are headed PART, CANC and REFUND when the whole words do not fit;
    on a screen too narrow for the figures even so (under ~71 columns), each
    service's figures are words under its name ("done 81%  partial 10%"),
    wrapped: the table folded a row over several lines and ``report`` failed."""
    # One currency said in the header only when every spend is in it: a
    # spend whose currency no answer gave under "SPEND USD" read as dollars.
    mixed = any(len(row["spends"]) > 1 for row in rows) or not all(map(_currency_said, rows))
    figures = [_figures(row, mixed) for row in rows]
    beside = screen._replace(width=max(screen.width - len(INDENT), 1))  # the figures' room
    for heads in (HEADERS, [SHORT_HEADERS.get(h, h) for h in HEADERS]):
        head, *lines = table(
            figures, FIGURES, heads, screen=beside, spec=_ONE_CURRENCY, words=False
        ).split("\n")
        more = _more_spends(head, figures)
        widest = max(map(on_screen, [head, *lines, *sum(more, [])]))
        if len(lines) == len(rows) and len(INDENT) + widest <= screen.width:
            break
    else:  # a row's figures over several lines, or wider than the screen
        return "\n".join(line for row in figures for line in _in_words(row, screen.width))
    shown = [INDENT + head]
    for row, line, spends in zip(rows, lines, more, strict=True):
        shown.extend(_named(row, screen.width))
        shown.append(INDENT + line)
        shown.extend(INDENT + spend for spend in spends)
    return "\n".join(shown)


def _in_words(row: dict[str, Any], width: int) -> list[str]:
    """A service's line naming it and, under it, its figures each named
    ("done 81%", "spend 12.30 USD"), as many to a line as fit, the ones it
    has not left out."""
    spends = row["spends"][:1]  # with its currency ("2.50 USD + 1 unknown")
    values = [
        *(row[f] for f in FIGURES[: FIGURES.index("spend")]),
        ", ".join(spends + row["more_spends"]),
    ]
    words = [
        f"{head.lower()} {value}" for head, value in zip(HEADERS[:-1], values, strict=True) if value
    ]
    room = max(width - len(INDENT), 1)
    lines: list[str] = []
    for word in words:
        if lines and on_screen(f"{lines[-1]}  {word}") <= room:
            lines[-1] += f"  {word}"
        else:
            lines.extend(wrap_text(word, room))
    return [*_named(row, width), *(INDENT + line for line in lines)]


def _more_spends(head: str, figures: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Each row's spends past its first (in two currencies or more), one a
    line, under the first in the SPEND column."""
    at = " " * head.rfind(HEADERS[FIGURES.index("spend")])
    return [[at + spend for spend in row["more_spends"]] for row in figures]


def _figures(row: dict[str, Any], mixed: bool) -> dict[str, Any]:
    """The figure cells of a row: its spend without its currency, said in the
    header when one currency is every row's ("SPEND USD"). When a row's spend
    is in two currencies (``mixed``), every spend keeps its currency ("12.30
    USD", "1.50 USD") under a plain SPEND: a header saying USD above a cell
    holding EUR told the wrong currency (so too when a row's currency is
    unknown: :func:`_currency_said`); each currency's spend after the
    first ("4.00 EUR") is in ``more_spends``, for a line of its own."""
    if mixed:
        first, *more = row["spends"]
        return {**row, "spend": first, "currency": None, "more_spends": more}
    return {**row, "spend": row["spend_figure"], "more_spends": []}


def _currency_said(row: dict[str, Any]) -> bool:
    """Whether a row's spend may stand under a header naming one currency
    ("SPEND USD"): its currency known, nothing spent (0.00 is 0.00 in
    any), or no charge said yet ("-": none in any). Else ("2.00", or "-":
    unknown) every spend keeps its currency in its cell under a plain
    SPEND, this one none, as piped."""
    return row["currency"] is not None or row["spend_figure"] == "0.00" or row["uncharged"]


def _named(row: dict[str, Any], width: int) -> list[str]:
    """The line naming a row's service: "demo service 3: YouTube Views (10
    orders, 2 open)", wrapped to ``width`` with the lines after the first
    indented past the figures' indent, every character kept."""
    count = row["orders"]
    orders = f"{count} order{'s' * (count != 1)}" + (f", {row['open']} open" if row["open"] else "")
    panel = safe_text(row["panel"])
    if row["service"] is None:  # orders tracked without --service: it read "service None"
        text = f"{panel}, service not recorded (tracked without --service) ({orders})"
    else:  # a service with no name: report passes why in its place (report._unnamed)
        text = f"{panel} service {row['service']}: {safe_text(row['service_name'])} ({orders})"
    more = " " * (2 * len(INDENT))
    first, *rest = wrap_text(text, max(width - len(more), 8))
    return [first, *(more + line for line in rest)]

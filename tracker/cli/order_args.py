"""Which orders a command is given: order IDs as arguments or read from stdin
(``-``: a saved list, its comments and BOM left out; "#483001" as the
commands print an ID), every bad one named in one usage line; and the
``--panel`` option in the words of each kind of command."""

from __future__ import annotations

import re
import sys
from typing import NoReturn

import click

from tracker.cli.bounds import ORDER_ID_MAX
from tracker.cli.main import EXIT_USAGE, fail
from tracker.panel.ids import to_id
from tracker.panel.values import said

panel_option = click.option(
    "--panel", metavar="NAME", help="Panel name (optional when one panel is configured)."
)
# A listing's --panel narrows it; an order ID's is found without it.
listing_panel = click.option(
    "--panel", metavar="NAME", help="Only this panel (without it: every panel)."
)
order_panel = click.option(
    "--panel",
    metavar="NAME",
    help="The order's panel (without it: the one holding the order; needed when several do).",
)
orders_panel = click.option(
    "--panel",
    metavar="NAME",
    help=(
        "The orders' panel (without it: the one holding them, or the only one configured; "
        "needed when several hold them)."
    ),
)


# In an ID list read from stdin: a "#" starting a word, not followed by a
# digit ("#483001" is an ID), comments out the rest of its line.
_COMMENT = re.compile(r"(?:^|(?<=[\s,]))#(?!\d)[^\r\n]*", re.MULTILINE)


def parse_order_ids(
    values: tuple[str, ...],
    option: str = "",
    *,
    stdin: bool = True,
    none_piped: bool = False,
    one: bool = False,
) -> list[int]:
    """Given CLI arguments (``-`` reads stdin unless ``stdin`` is False), return
    order IDs or exit naming the bad ones (``option``, e.g. "--order", first).
    With ``none_piped``, ``-`` alone reading no ID returns [] (an empty
    `orders --ids` piped in: nothing to do, no bad input); ``one``: the
    command takes one ID, and none given is said so."""
    tokens: list[str] = []
    for value in values:
        if value == "-" and stdin and sys.stdin is None:  # `<&-`: Python has no stdin at all
            fail("cannot read order IDs from stdin: it is closed", EXIT_USAGE)
        if value == "-" and stdin and sys.stdin.isatty():  # else it seems to hang
            click.echo("reading order IDs from the terminal (Ctrl-D when done)...", err=True)
        # A list saved as "CSV UTF-8" (Excel) or by Notepad starts with a BOM.
        text = sys.stdin.read().removeprefix("\ufeff") if value == "-" and stdin else value
        if value == "-" and stdin:  # a saved list's comments: "# June batch", "5 # retry"
            text = _COMMENT.sub("", text)
        tokens.extend(t for t in re.split(r"[\s,]+", text) if t)
    # The panel's answer to `add` is read the same way: what `add` tracks, this
    # accepts; and "#483001", as `history`, `cancel` and the demo print an ID.
    ids = [t[1:] if t.startswith("#") and len(t) > 1 else t for t in tokens]
    bad = [given for given, t in zip(tokens, ids, strict=True) if to_id(t) is None]  # as typed
    tokens = ids
    if bad:  # each said cut: a 20 MB token on stdin is no 20 MB line
        shown = _first([said(t) for t in bad[:6]])
        _usage(option, f"not an order ID (a whole number from 1 to {ORDER_ID_MAX}): {shown}")
    if not tokens and not (none_piped and stdin and values == ("-",)):
        _usage(option, "no order ID given" if one else "no order IDs given")
    return [int(t) for t in tokens]


def nothing_piped(command: str) -> None:
    """Say on stderr that ``-`` read no order ID: nothing for ``command`` to do (exit 0)."""
    click.echo(f"no order IDs on stdin: nothing to {command}", err=True)


def parse_order_id(value: str, option: str = "", *, stdin: bool = True) -> int:
    """Given the argument of a command that takes one order ID, return it; exit
    when it names several ("5 6", "5,6"), rather than take the first."""
    ids = parse_order_ids((value,), option, stdin=stdin, one=True)
    if len(ids) > 1:
        _usage(option, f"one order ID expected, got {len(ids)}: {_first(list(map(str, ids)))}")
    return ids[0]


def _first(items: list[str]) -> str:
    return ", ".join(items[:5]) + (" ..." if len(items) > 5 else "")


def _usage(option: str, problem: str) -> NoReturn:
    fail(f"{option}: {problem}" if option else problem, EXIT_USAGE)

"""Streamed rendering of long listings: rows in, text out, a chunk at a time.

Pure, like :mod:`tracker.cli.render`, whose formats it keeps: a million orders
are printed without ever being held in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Any

from tracker.cli.render import row_in_list, safe_text, table
from tracker.cli.screen import Columns, Screen, moment
from tracker.store.listing import BY_PANEL, BY_USER

# Why a panel's rows are its last answers, by the episode open for it now
# (`orders` and `balance` say it on stderr).
NOT_ANSWERING = {
    "auth_failed": "the API key is refused",
    "panel_unreachable": "every call has failed",
}


def json_array(rows: Iterable[dict[str, Any]], *, chunk: int = 500) -> Iterator[str]:
    """Given rows, yield pieces of the text ``to_json(list(rows))`` would return."""
    items = iter(rows)
    first = True
    while block := list(islice(items, chunk)):
        # Each item as to_json indents it inside a list: two more spaces.
        text = ",\n".join("  " + row_in_list(row) for row in block)
        yield ("[\n" if first else ",\n") + text
        first = False
    yield "[]" if first else "\n]"


def table_chunks(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    headers: Sequence[str],
    *,
    chunk: int = 1000,
    screen: Screen | None = None,
    spec: Columns | None = None,
) -> Iterator[str]:
    """Given rows, yield an aligned text table ``chunk`` rows at a time.

    The header comes once; each chunk is aligned on its own, so a long
    listing starts printing at once (one chunk is the whole table when the
    rows fit in it, as with the default limit). On a ``screen``, as
    :func:`~tracker.cli.render.table` shows it: with every column when
    there is more than one chunk (each must fit the header printed once),
    and the free text under its row in every chunk, whatever its widths.
    """
    items = iter(rows)
    first = True
    whole = True
    while block := list(islice(items, chunk)):
        if first and screen is not None:  # one more row: is this block the whole table?
            more = list(islice(items, 1))
            whole, items = not more, chain(more, items)
        text = table(block, columns, headers, screen=screen, spec=spec, whole=whole)
        yield text if first else text.split("\n", 1)[1]
        first = False


def with_untracked(
    rows: Iterable[dict[str, Any]], *, in_status: bool = False
) -> Iterator[dict[str, Any]]:
    """Mark the orders `untrack` stopped, ``"untracked": true``, and those
    given up as unknown to the panel, ``"lost": true``; with ``in_status``
    their status reads "In progress (untracked: reason)" or "(lost: reason)"."""
    for row in rows:
        row["untracked"] = row.get("stopped_by") == BY_USER
        row["lost"] = row.get("stopped_by") == BY_PANEL
        if in_status and (row["untracked"] or row["lost"]):
            why = f": {row['stop_reason']}" if row.get("stop_reason") else ""
            word = "untracked" if row["untracked"] else "lost"
            row["stored_status"] = row["status"]  # what DELIVERED is worked out from
            row["status"] = f"{row['status'] or '-'} ({word}{why})"
        yield row


def stop_note(row: dict[str, Any], screen: Screen | None = None) -> str | None:
    """Given an order row, return the line saying why it is no longer polled
    (untracked or lost), or None while it is polled or once it finished; on a
    ``screen`` (a terminal) its time short ("since 15:44 UTC")."""
    if row.get("stopped_by") is None:
        return None
    who = (
        "untracked by you" if row["stopped_by"] == BY_USER else "lost: the panel called it unknown"
    )
    why = f" ({safe_text(row['stop_reason'], 200)})" if row.get("stop_reason") else ""
    since = moment(row["stopped_at"], screen)
    return f"not polled since {since}: {who}{why}; track {row['order_id']} resumes"

"""A Datasette plugin registered by ``smm-tracker dashboard``: orders link to their history.

Datasette follows single-column foreign keys only, so the ``(panel, order_id)``
references of transitions, refills and probes are invisible to it. This hook
renders every ``order_id`` cell of a row that also has a ``panel`` (tables,
views and canned queries alike) as a link to the order's page, followed by
links to its status changes and its refill requests; and the other order a
row names, a re-order's (``new_order_id`` of automation_actions) and the
Partial order a re-order completes (``parent_order_id`` of orders), as a
link to that order's page. And no other link: a cell whose whole text is a
URL (a panel's status, error or currency of ``https://evil...``), which
Datasette draws as a link, is shown as its text; and a view's cell of
bytes, which Datasette links to a download its row cannot give (the page
failed), is written as Datasette writes bytes, without the link.

Imported only once Datasette is known to be installed (the ``dashboard`` extra).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import is_url, tilde_encode
from markupsafe import Markup, escape

# Columns naming another order of the row's panel: linked to its page alone.
OTHER_ORDER = ("new_order_id", "parent_order_id")


# The tracker's views: their rows have no rowid, nor a key Datasette knows.
VIEWS = frozenset({"order_overview", "service_scorecard", "daily_activity", "stuck_orders"})


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, database: str, datasette: Any, table: str | None
) -> Any:
    if isinstance(value, bytes) and table in VIEWS:
        # Bytes a hand edit stored (a currency, a status, a service's name):
        # Datasette links such a cell to a download by its row's rowid, which
        # a view's row has not: the whole page failed ("No item with that
        # key"). Written as Datasette writes bytes, without the link.
        return f"<Binary: {len(value):,} byte{'' if len(value) == 1 else 's'}>"
    if isinstance(value, str) and is_url(value.strip()):
        # The panel's words: plain text (Datasette escapes it), cut where
        # Datasette cuts a cell, never a link of the panel's choosing.
        limit = datasette.setting("truncate_cells_html")
        return value if not limit or len(value) <= limit else value[: limit - 1] + "…"
    # A sqlite3.Row: `in` would look at its values, keys() are the column names.
    if column not in ("order_id", *OTHER_ORDER) or value is None:
        return None
    if "panel" not in row.keys():  # noqa: SIM118
        return None
    panel = row["panel"]
    if not isinstance(panel, str):  # none, or bytes a hand edit stored: no page to link to
        return None
    order = datasette.urls.row(database, "orders", f"{tilde_encode(panel)},{value}")
    if column in OTHER_ORDER:
        return Markup('<a href="{}">{}</a>').format(order, escape(value))
    query = urlencode({"panel": panel, "order_id": value})
    history = datasette.urls.table(database, "transitions") + "?" + query
    refills = datasette.urls.table(database, "refills") + "?" + query
    return Markup(
        '<a href="{}">{}</a> <small>(<a href="{}">history</a> · <a href="{}">refills</a>)</small>'
    ).format(order, escape(value), history, refills)

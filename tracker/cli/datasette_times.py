"""A Datasette plugin registered by ``smm-tracker dashboard``: a time breaks after its T alone.

The stored times (UTC, ISO 8601: ``2026-12-06T18:02:10+00:00``) are 25
characters. Kept on one line, the two of Status changes (``at``,
``checked_before``) made its table 40 px wider than a 1280-px screen, which
scrolled it sideways; left to wrap, a time broke at a hyphen, the day cut in
two ("2026-12-" over "06T18:02:10+00:00"). This hook writes a time cell's
day and time of day each unbreakable, with a break allowed between them:
on a wide screen the time is one line, where its column needs the room the
day stands over the time of day. The cell's text is the stored value, as
it was (a copy of it reads the same); only the page's cells, not the exports.

Imported only once Datasette is known to be installed (the ``dashboard`` extra).
"""

from __future__ import annotations

import re
from typing import Any

from datasette import hookimpl
from markupsafe import Markup

# A stored time: the day with its "T", then the time of day and its offset.
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT)(\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?)")


def time_cell(value: Any) -> Markup | None:
    """Given a cell's value, return a time's markup: its day and its time of
    day each kept whole, a line break allowed between them; None for any
    other value (Datasette writes it)."""
    if not isinstance(value, str):
        return None
    found = _TIME.fullmatch(value)
    if found is None:
        return None
    return Markup('<span class="day">{}</span><wbr><span class="clock">{}</span>').format(
        *found.groups()
    )


@hookimpl
def render_cell(value: Any) -> Markup | None:
    return time_cell(value)

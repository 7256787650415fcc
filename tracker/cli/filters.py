"""The values ``--status`` takes, in one place, and the check that a typo is
an error rather than an empty listing.

Pure: the user's text and what the database holds in, the stored spelling (or
a usage error) out. A new filter word (a local state such as "untracked") is
added to ORDER_FILTERS or refill_filters() and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tracker.panel.statuses import (
    ACTIVE,
    ORDER_STATUSES,
    PAUSED,
    REFILL_STATUSES,
    normalize_order_status,
    normalize_refill_status,
)
from tracker.panel.values import said
from tracker.store.listing import LOST, UNTRACKED

NO_STATUS = "-"  # orders the panel has not answered for yet

# What `orders --status` accepts, as shown in its help and its error.
# "untracked": the orders `untrack` stopped, whatever their status; "lost":
# those given up because the panel kept calling them unknown.
ORDER_FILTERS: tuple[str, ...] = (
    *ORDER_STATUSES, ACTIVE, PAUSED, UNTRACKED, LOST, NO_STATUS,
)  # fmt: skip
# What `refills --status` accepts: the panel's statuses and the tracker's own.


def refill_filters() -> tuple[str, ...]:
    """Return the refill filter words: the panel's statuses and the tracker's own."""
    from tracker.rules.refill_states import LOCAL_STATUSES  # here: `orders` needs none of it

    return (*REFILL_STATUSES, *LOCAL_STATUSES)


# A --status error lists at most this many of the statuses only the database holds.
SHOWN_STORED = 20


class UnknownStatus(ValueError):
    """The ``--status`` value matches nothing; the message lists what would."""


def _folded(text: str) -> str:
    return " ".join(text.split()).lower()


def _match(text: str, choices: Iterable[str]) -> str | None:
    """The choice spelt as ``text`` is (a panel's own words as stored: "STUCK"
    and "Stuck" are two), else the one it spells in any case and spacing."""
    choices = list(choices)
    if text.strip() in choices:
        return text.strip()
    wanted = _folded(text)
    return next((c for c in choices if _folded(c) == wanted), None)


def pick_status(
    text: str,
    filters: tuple[str, ...],
    *,
    spelling: Callable[[str], str | None],
    stored: Callable[[], Iterable[str]],
) -> str:
    """Given a ``--status`` value, return the value to filter on.

    Matching is case-insensitive: a filter word first, then a panel spelling
    (``spelling`` maps "cancelled" to "Canceled"), then a status only seen in
    the database (a panel's own word, kept verbatim; ``stored`` is only read
    when needed). Raise UnknownStatus listing the valid values otherwise.
    """
    found = _match(text, filters) or spelling(text)
    if found is not None:
        return found
    extra = [s for s in stored() if s not in filters]
    found = _match(text, extra)
    if found is not None:
        return found
    # The panels' own words are theirs: each cut and escaped, and a few of them
    # (a hostile panel may have sent a new word with every order).
    words = [*(f"'{v}'" for v in filters), *map(said, extra[:SHOWN_STORED])]
    more = len(extra) - SHOWN_STORED
    valid = ", ".join(words) + (f" and {more} more the panels sent" if more > 0 else "")
    raise UnknownStatus(f"unknown status {said(text.strip())}; valid: {valid}")


def order_filter(text: str, stored: Callable[[], Iterable[str]]) -> str:
    """Given ``orders --status`` text, return the status to filter on ("-": none yet).

    A status as the listing shows it, the panel's reason included ("Canceled:
    invalid link", copied from its STATUS column), is the status it reads as:
    every Canceled order is listed, the reasons in that column."""

    def spelling(raw: str) -> str | None:
        status, known = normalize_order_status(raw)
        return status if known else None

    return pick_status(text, ORDER_FILTERS, spelling=spelling, stored=stored)


def refill_filter(text: str, stored: Callable[[], Iterable[str]]) -> str:
    """Given ``refills --status`` text, return the refill status to filter on."""

    def spelling(raw: str) -> str | None:
        status, known = normalize_refill_status(raw)
        return status if known else None

    return pick_status(text, refill_filters(), spelling=spelling, stored=stored)

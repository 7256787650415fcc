"""Open orders in status words the tracker does not know: the ``unknown_status`` alert.

Pure. A panel may answer a status with words no spelling in
:mod:`tracker.panel.statuses` maps ("Awaiting moderation", "Stuck"): the order
keeps them verbatim and is still polled, but none of the tracker's rules
(refill, cancel, stall) applies to it. Judged after each poll, one episode per
panel: it opens when an open order of the panel carries such words, with one
alert naming the spellings then seen, how many open orders carry them and a
few IDs; it closes, quietly, once none does (the panel moved them to a status
the tracker knows, or they were untracked or given up). Words back within
:data:`RESUMED_WITHIN` (an hour) of that end resume the episode, quietly: a
panel whose order alternates between a known spelling and its own words
("In progress", "Processing at provider", "In progress"...) raises one alert,
not one every other poll. A later one, after an hour without such words, is a
new episode and a new alert. The closed episode's ``since`` holds when it
ended (stored in ``alert_state`` like any episode, so this holds across
restarts and ``run --once`` runs from cron).

One episode per panel, not per spelling: a panel that writes an order's own
text into its status ("Stuck since 12:03", "In queue #4411") makes a new
spelling per order or per poll, and an alert per spelling would be an alert
per order for as long as it does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from tracker.panel.values import quoted as quoted_text
from tracker.rules.episodes import Alert, Episode

UNKNOWN_STATUS = "unknown_status"
SHOWN_SPELLINGS = 5  # spellings named in the message (``data.spellings`` has more)
SHOWN_IDS = 3  # order IDs named per spelling in the message
IN_DATA = 20  # spellings in ``data.spellings`` (``data.count``: how many in all)
IDS_IN_DATA = 10  # order IDs per spelling in ``data.spellings``
_WORDS = 60  # characters of a spelling quoted in a message
RESUMED_WITHIN = 3600.0  # seconds after its end in which words back resume an episode


class Spelling(NamedTuple):
    """One spelling the tracker does not know: the status as stored (the
    panel's words, stripped, cut to 100 characters), how many open orders
    carry it and the lowest of their IDs."""

    words: str
    orders: int
    order_ids: tuple[int, ...]


class UnknownWords(NamedTuple):
    """A panel's open orders in status words the tracker does not know: how
    many in all, how many spellings, and the spellings carried by the most
    orders (the first :data:`IN_DATA`)."""

    orders: int
    spellings: int
    shown: tuple[Spelling, ...]


def quoted(words: str) -> str:
    """Given a panel's status words, return them fit for a message: one line,
    cut to a readable length, quoted, control characters escaped."""
    return quoted_text(words, _WORDS)


def judge_unknown(episode: Episode, present: bool, now: datetime) -> tuple[Episode, bool]:
    """Given a panel's ``unknown_status`` episode and whether an open order of
    the panel carries unknown status words now, return (the new episode,
    whether to raise the alert): raised when an episode opens, never while it
    is open; closed quietly when no such order is left, its ``since`` then
    when it ended. Words back less than :data:`RESUMED_WITHIN` after that
    resume it quietly, open since its alert; an end stamped ahead of ``now``
    (the clock set back since) says nothing of how long ago it was: a new
    episode, alerted, rather than words kept silent."""
    if not present:
        return (
            (Episode(False, now, episode.last_sent_at), False)
            if episode.active
            else (episode, False)
        )
    if episode.active:
        return episode, False
    ended = episode.since
    if ended is not None and ended <= now and (now - ended).total_seconds() < RESUMED_WITHIN:
        return Episode(True, episode.last_sent_at or ended, episode.last_sent_at), False
    return Episode(True, now, now), True


def listing_hint(panel: str, words: str) -> str:
    """Given a panel and one of its unknown spellings, return the command that
    lists its orders in those words (shell-quoted; a generic one when the
    words hold characters a terminal cannot be given as typed)."""
    import shlex  # only for an alert's words: a start needs none

    if not words.isprintable() or len(words) > _WORDS:
        return f"`smm-tracker orders --panel {shlex.quote(panel)} --status 'THE WORDS'`"
    return f"`smm-tracker orders --panel {shlex.quote(panel)} --status {shlex.quote(words)}`"


def _one(spelling: Spelling) -> str:
    ids = ", ".join(f"#{i}" for i in spelling.order_ids[:SHOWN_IDS])
    more = "…" if spelling.orders > SHOWN_IDS else ""
    return f"{quoted(spelling.words)} ({spelling.orders}: {ids}{more})"


def unknown_alert(panel: str, found: UnknownWords) -> Alert:
    """Given a panel's open orders in unknown status words, return the one
    alert of the episode."""
    named = ", ".join(_one(s) for s in found.shown[:SHOWN_SPELLINGS])
    left = found.spellings - min(len(found.shown), SHOWN_SPELLINGS)
    more = f" and {left} more spelling{'s' * (left != 1)}" if left > 0 else ""
    orders = f"{found.orders} open order{'s' * (found.orders != 1)}"
    first = found.shown[0] if found.shown else Spelling("", 0, ())
    if found.spellings > 1:
        listed = "the first spelling's orders"
    else:
        listed = "them" if first.orders != 1 else "it"
    message = (
        f"{panel}: {orders} in status words the tracker does not know: {named}{more}; "
        f"still polled, but no refill, cancel or stall rule applies to "
        f"{'them' if found.orders != 1 else 'it'}; {listing_hint(panel, first.words)} "
        f"lists {listed}"
    )
    data: dict[str, Any] = {
        "orders": found.orders,
        "count": found.spellings,
        "spellings": [
            {"status": s.words, "orders": s.orders, "order_ids": list(s.order_ids[:IDS_IN_DATA])}
            for s in found.shown[:IN_DATA]
        ],
    }
    return Alert(UNKNOWN_STATUS, message, panel=panel, data=data)

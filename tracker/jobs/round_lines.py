"""A refill round's lines that said the same at every round while nothing
new happened, told at warning once per episode, in the daemon and across
``run --once`` runs (each a process of its own under cron): marked in
``alert_state`` by :func:`tracker.store.told_marks.told_of_panel`, the
rounds after the first say them at info with ``warned_at``.

- ``refill_status_left_out``: multi ``refill_status`` answers leaving out
  the same refills (a panel misfiling them, each asked alone then); other
  refills left out are a new fact; a round whose multi calls named every
  refill asked ends the episode;
- ``multi_refill_refused``: multi ``refill`` calls refused in the same
  words (an order in them provoking it, asked alone then), at each round
  the orders are due (a day apart, the cooldown); other words are a new
  fact; a multi refill call answered ends the episode.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import structlog

from tracker.store.told_marks import Store, told_of_panel, words_mark

log = structlog.get_logger("tracker.refill")


class LeftOut(Protocol):
    """A round of following refills (:class:`~tracker.jobs.refill_asks.FollowResult`)."""

    left_out: list[tuple[int, list[str]]]  # each multi answer's refills asked, and left out
    multi_answered: bool  # a multi refill_status call was answered


def tell_left_out(store: Store, panel: str, result: LeftOut, now: datetime) -> None:
    """Tell each multi ``refill_status`` answer that left refills out: at
    warning, at info when an earlier round told the same refills left out.
    A round that had no multi call answered leaves the episode as it was."""
    if not result.multi_answered:
        return
    said = [(asked, ",".join(sorted(missing))) for asked, missing in result.left_out]
    found = {words_mark(ids): ids for _, ids in said}
    told = told_of_panel(store, panel, "refill_status_left_out", found, now)
    for (asked, ids), (_, missing) in zip(said, result.left_out, strict=True):
        at = told.get(words_mark(ids))
        warned = {} if at is None else {"warned_at": at}
        told_at = log.info if warned else log.warning
        told_at("refill_status_left_out", panel=panel, asked=asked, missing=len(missing), **warned)


class MultiRefused(Protocol):
    """A round of refill requests (:class:`~tracker.jobs.refill_outcomes.RequestResult`)."""

    multi_refused: list[str]  # the words of each multi call refused, its orders asked alone
    multi_answered: bool  # a multi refill call was answered


def tell_multi_refused(store: Store, panel: str, result: MultiRefused, now: datetime) -> None:
    """Tell each multi refill call refused: at warning, at info when an
    earlier round told a refusal in the same words, no multi call answered
    since. A round with no multi call judged leaves the episode as it was."""
    if not (result.multi_refused or result.multi_answered):
        return
    found = {words_mark(words): words for words in result.multi_refused}
    told = told_of_panel(store, panel, "multi_refill_refused", found, now)
    for words in result.multi_refused:
        at = told.get(words_mark(words))
        warned = {} if at is None else {"warned_at": at}
        told_at = log.info if warned else log.warning
        told_at("multi_refill_refused", panel=panel, answer=words, **warned)

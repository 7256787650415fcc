"""What ``prune`` may delete: the cutoffs, and re-order families kept whole.

Pure decisions: the command reads the database and the clock, these say
which instant a record must be older than, and which orders go together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

# The 30-day floor is the config's too (database.prune_older_than), read below the rules.
from tracker.config.database import MIN_AGE as MIN_AGE
from tracker.config.database import too_recent as too_recent
from tracker.rules.clocksteps import Gap

ORDER_BATCH = 1000  # orders per transaction: the daemon's writes wait for one batch at most
ROW_BATCH = 5000  # balance checks or alerts per transaction


@dataclass(frozen=True)
class Cutoffs:
    """``records``: what ended, was stopped or was recorded before it may go.
    ``completed``: a finished order must also have completed before this one,
    which is earlier while refills are on and ``refill.window`` reaches past
    ``records`` (the refill job may still ask for such an order)."""

    records: datetime
    completed: datetime

    @property
    def held_by_refill_window(self) -> bool:
        return self.completed < self.records


def cutoffs(
    now: datetime, older_than: float, refill_window: float | None, held: float = 0.0
) -> Cutoffs:
    """Given now, ``--older-than`` in seconds, the refill window (None while
    refills are off) and the seconds a clock step holds them back
    (:func:`held_back`), return the cutoffs."""
    now -= timedelta(seconds=max(0.0, held))
    records = now - timedelta(seconds=older_than)
    completed = records
    if refill_window is not None:
        completed = min(records, now - timedelta(seconds=refill_window))
    return Cutoffs(records, completed)


class ClockSet(NamedTuple):
    """The seconds the wall clock was set since the daemon's first look (above
    0 ahead), all steps added up, and the lowest that sum has been (0 or less)."""

    net: float = 0.0
    lowest: float = 0.0


def clock_set(state: ClockSet, gap: Gap) -> ClockSet:
    """Given the steps so far and the :class:`~tracker.rules.clocksteps.Gap`
    since the last look, return them with this one. A gap the boot clock
    cannot tell from a sleep counts as the clock set ahead: a prune then
    keeps more, never deletes what is younger than its age."""
    net = state.net + (gap.seconds if gap.set_by is None else gap.set_by)
    return ClockSet(net, min(state.lowest, net))


def held_back(state: ClockSet) -> float:
    """Given the steps seen, return the seconds the prune's cutoffs move back:
    how much further behind today's clock the one that stamped a row may have
    read. A clock set a year ahead (or set right a year ahead of a board's
    build date) made every row a year older; set ahead and back again as far,
    nothing is held."""
    return state.net - state.lowest


def families(candidates: Iterable[int], links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Given the order IDs that may go and (re-order, parent) links of one
    panel, return the candidates grouped into families (an order, its
    re-orders and theirs), leaving out every family holding an order that is
    kept: a parent never goes while its re-order stays, nor a re-order while
    its parent stays (the parent's record names it). Sorted, oldest ID first."""
    may_go = set(candidates)
    parent: dict[int, int] = {}
    linked: set[int] = set()

    def root(order: int) -> int:
        while parent.get(order, order) != order:
            order = parent[order]
        return order

    for child, of in links:
        if child in may_go or of in may_go:
            linked.update((child, of))
            a, b = root(child), root(of)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for order in linked | may_go:
        groups.setdefault(root(order), []).append(order)
    return sorted(
        (sorted(members) for members in groups.values() if may_go.issuperset(members)),
        key=lambda members: members[0],
    )


def batches(groups: Sequence[list[int]], size: int = ORDER_BATCH) -> list[list[list[int]]]:
    """Given families, return them packed into batches of about ``size``
    orders, a family never split across two (one larger than ``size`` is a
    batch of its own)."""
    out: list[list[list[int]]] = []
    count = 0
    for members in groups:
        if not out or count + len(members) > size:
            out.append([])
            count = 0
        out[-1].append(members)
        count += len(members)
    return out

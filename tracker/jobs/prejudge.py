"""The stall watch's judgement of the orders a poll changed, done while the poll waits.

``run --once`` runs a panel's stall watch after its poll, and when every order
changed the watch must judge every one of them again (0.5–0.8 s at 20k on the
bench machine), while during the poll the writer thread mostly waits on the
panel. :class:`Prejudge` takes the orders each stored answer changed and,
whenever the poll has nothing to store, judges a few of them
(:mod:`tracker.jobs.judging`, the watch's own judgement) and stores
the verdicts. It reads them narrowly (:mod:`tracker.store.watch_changed`:
what the quick judgement needs), and reads in full only those the quick
judgement leaves to the reference (stalled, or an event). The watch's
pass then finds them judged (their ``judged_key`` is current) and skips
them.

Alerts stay the watch's alone, once per run as before: an order whose verdict
is an event (stalled, moving again) is left for the pass, which judges and
alerts it; so is everything when the stall settings changed since the last
pass (it judges every open order then). The medians are read once, at the
first step, and the pass reads its own after the poll: a service whose median
the poll moved (an order of it completed) has its orders judged again by the
pass (the median is part of the key), so the run stalls by the medians of the
orders it saw complete, as without judging ahead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import structlog

from tracker.clock import micros
from tracker.config.model import AutomationConfig
from tracker.errors import StoreError
from tracker.jobs.judging import judge_row, quick_row
from tracker.jobs.stalls import basis_of, service_medians
from tracker.store.watch import open_orders, save_watches, watch_basis
from tracker.store.watch_changed import changed_orders

log = structlog.get_logger("tracker.prejudge")

SLICE = 500  # orders judged per step (~20 ms here): an answer waits at most that
MAX_QUEUED = 50_000  # orders waiting to be judged; beyond, the pass judges them


class Prejudge:
    """One panel's orders changed by a poll, judged in the poll's idle time."""

    def __init__(
        self,
        store: Any,
        panel: str,
        config: AutomationConfig,
        clock: Callable[[], datetime],
    ):
        self.store, self.panel, self.config, self.clock = store, panel, config, clock
        # Read at the first step, this poll's own: never the pass's, which
        # must read them after the poll stored every order it saw complete.
        self.medians: dict[int, float] | None = None
        self.queue: deque[int] = deque()
        self.judged = 0
        self._settled: bool | None = None  # the stall settings unchanged since the pass

    def changed(self, transitions: Iterable[dict[str, Any]]) -> None:
        """A transition listener: queue this panel's orders that just changed."""
        room = MAX_QUEUED - len(self.queue)
        if room > 0:
            ids = [t["order_id"] for t in transitions if t.get("panel") == self.panel]
            self.queue.extend(ids[:room])

    def step(self) -> bool:
        """Judge up to SLICE queued orders and store their verdicts (events
        left to the watch's pass); return True when more are queued.

        A failure (a bug, the database busy past its wait) ends the judging
        ahead for this poll, logged: the pass judges the rest, and the poll
        carries on storing answers (it must never fail for this)."""
        try:
            return self._step()
        except StoreError as exc:  # the database's trouble, said in one line
            log.warning("prejudge_failed", panel=self.panel, error=str(exc))
        except Exception:  # a bug: its traceback
            log.exception("prejudge_failed", panel=self.panel)
        self._settled = False  # no more steps: the pass judges them
        self.queue.clear()
        return False

    def _step(self) -> bool:
        if not self.queue:
            return False
        if self._settled is None:
            self._settled = watch_basis(self.store, self.panel) == basis_of(self.config)
        if not self._settled:  # the pass judges every open order: nothing to save it
            self.queue.clear()
            return False
        ids = sorted(self.queue.popleft() for _ in range(min(SLICE, len(self.queue))))
        now = self.clock()
        if self.medians is None:
            self.medians = service_medians(self.store, self.panel, now)
        medians = self.medians
        verdicts = []
        slow = []  # stalled, or an event: judged by judge_row, from their full rows
        at = micros(now)
        for row in changed_orders(self.store, self.panel, ids, medians):
            quick, columns = quick_row(row, self.config, medians, at)
            if not quick:
                slow.append(row.order_id)
            elif columns is not None:
                verdicts.append(columns)
        if slow:
            # each changed since it was last judged: due, no filter needed
            full = open_orders(
                self.store,
                self.panel,
                after=slow[0] - 1,
                limit=len(slow),
                medians=medians,
                among=slow,
            )
            for whole in full:
                verdict, _before, columns = judge_row(whole, self.config, medians, now)
                if verdict.event is None and columns is not None:
                    verdicts.append(columns)
        save_watches(self.store, self.panel, verdicts, now)
        self.judged += len(verdicts)
        return bool(self.queue)

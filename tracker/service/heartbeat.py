"""What ``smm-tracker run`` tells systemd (:mod:`tracker.service.notify`):
READY=1 with its STATUS= line, each heartbeat's WATCHDOG=1 and STATUS= (the
ping withheld while a job makes no progress past :meth:`Heartbeat.stall_bound`,
so systemd restarts a wedged process), STOPPING=1 naming the jobs waited for.
A mixin of :class:`tracker.service.process.Service`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

from tracker.config.model import Config
from tracker.errors import StoreError
from tracker.rules.doctor import unconfigured_note
from tracker.service.jobstats import JobStats
from tracker.service.notify import Notifier, status_line
from tracker.store.orders import Store
from tracker.store.readings import open_by_panel

if TYPE_CHECKING:
    from tracker.jobs.watch import Watch

log = structlog.get_logger("tracker.service")

MAX_RETRY_WAIT = 120.0  # the longest wait between two tries of a call (Retry-After cap)


class Heartbeat:
    """The Service's side of systemd's notify protocol: readiness, watchdog, status."""

    config: Config
    notifier: Notifier
    stats: JobStats
    clock: Callable[[], float]
    note: str  # shown in STATUS= while the last reload failed
    _reader: Store | None
    _watch: Watch | None  # the current generation's: its panels paused for the key
    _stalled: bool

    def stall_bound(self) -> float:
        """Seconds without any progress (no call completing, no run starting or
        ending) after which a running job is taken as stuck: two call deadlines,
        the longest retry wait, a rate-limit wait and a busy database."""
        longest = max((p.timeout for p in self.config.panels), default=0.0)
        return 2 * longest + MAX_RETRY_WAIT + 60.0 + self.config.database.busy_timeout

    def status_text(self) -> str:
        """Return the one-line summary systemd shows in ``systemctl status``."""
        stats = self.stats.snapshot()
        polls = [at for name, at in stats.last_ok.items() if name.startswith("status:")]
        try:
            counts = open_by_panel(self._reader) if self._reader else None
        except StoreError:
            counts = None
        names = {p.name for p in self.config.panels}
        left_out = unconfigured_note({p: n for p, n in (counts or {}).items() if p not in names})
        return status_line(
            open_orders=sum(counts.values()) if counts is not None else None,
            last_poll=max(polls) if polls else None,
            failing=sorted(stats.last_failed),
            failures=stats.failures,
            now=self.clock(),
            note="; ".join(text for text in (left_out, self.note) if text),
            paused=sorted(self._watch.refused_now()) if self._watch is not None else (),
            held=sorted({name.rpartition(":")[2] for name in stats.last_held}),
        )

    def _ready(self) -> None:
        self.notifier.ready(self.status_text())

    def _heartbeat(self) -> None:
        # The ping goes first: a slow status query must not delay it. It is
        # withheld while a job is stuck, so systemd restarts a wedged process.
        stuck = self.stats.stalled(self.stall_bound())
        if stuck:
            if not self._stalled:
                log.critical(
                    "jobs_stalled", jobs=stuck, bound=self.stall_bound(), watchdog="withheld"
                )
            self._stalled = True
            self.notifier.status(f"stalled: {', '.join(stuck)} made no progress; watchdog withheld")
            return
        self._stalled = False
        if self.notifier.watchdog_every:
            self.notifier.watchdog()
        self.notifier.status(self.status_text())

    def _stopping(self) -> None:
        running = sorted(self.stats.snapshot().running)
        waiting = f"waiting for {', '.join(running)}" if running else "nothing in flight"
        self.notifier.stopping(f"stopping: {waiting}")

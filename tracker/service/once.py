"""``run --once`` under Ctrl-C and SIGTERM: a stop honoured within its bound.

Each panel's jobs run in a thread of their own, the panels side by side (a
run took the sum of the panels' polls): first its poll, catalogue and
balance side by side (none reads what another writes; a run took their sum),
then the jobs that read what they stored, in turn
(:func:`tracker.service.firstrun.stages`, as the daemon's start). The
panel's own concurrency bound holds across them all (one client per panel).
Meanwhile the main thread watches
the signal flags (:mod:`tracker.signals`: a handler only sets a flag, and
marks the jobs' stop event asked: nothing is sent from then on).
On SIGINT or SIGTERM the jobs' stop event is set, as the daemon sets it:
queued calls are never sent, retry and rate-limit waits end at once, the
call on the wire ends by its deadline and the job commits what it has; the
jobs not started yet are skipped. If they are still going after
:func:`stop_bound` seconds, or a second signal comes, the caller leaves
without them (what is committed stays; answers not stored are asked again
by the next run).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from tracker.jobs.base import Job
from tracker.service.firstrun import chains, stages
from tracker.service.jobstats import JobStats
from tracker.service.runs import guarded
from tracker.signals import Signals

if TYPE_CHECKING:
    from tracker.config.model import Config

log = structlog.get_logger("tracker.daemon")

LOOK_EVERY = 0.1  # seconds between looks at the signal flags


def stop_bound(config: Config) -> float:
    """Seconds a stop may take: a call on the wire ends by its deadline (the
    longest panel timeout), then its job commits (database.busy_timeout)."""
    longest = max((p.timeout for p in config.panels), default=0.0)
    return longest + config.database.busy_timeout


@dataclass
class Outcome:
    """How a ``run --once`` ended: whether every job that ran succeeded, the
    signal that stopped it (0: none), and whether jobs were left running."""

    ok: bool
    signum: int = 0
    abandoned: bool = False

    @property
    def exit_code(self) -> int:
        """128 + the signal when stopped (130 for Ctrl-C), else 0 or 1."""
        return 128 + self.signum if self.signum else (0 if self.ok else 1)


def run_stoppable(
    jobs: list[Job],
    stats: JobStats,
    stop_event: threading.Event,
    bound: float,
    *,
    on_stop: Callable[[float], None] = lambda _bound: None,
    clock: Callable[[], float] = time.monotonic,
    signals: Signals | None = None,
) -> Outcome:
    """Run every job once: each panel's in order in a thread of its own, the
    panels side by side (:func:`chains`); stop them on SIGINT/SIGTERM.

    ``on_stop`` is told the bound when a first signal comes. ``signals``: the
    flags caught while the run started (:meth:`Signals.install_early`), a
    stop in them honoured before any job begins. The signal handlers are put
    back as they were before returning."""
    signals = Signals() if signals is None else signals
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    if threading.current_thread() is threading.main_thread():  # else signals cannot be caught
        signals.install(reload=False, keep_ignored=True)
    signals.link(stop_event)  # a stop signal: the jobs send nothing from then on
    results: list[bool] = []

    def one(job: Job) -> None:
        try:  # a job that starts after the stop is skipped
            results.append(guarded(job, stats, retired=stop_event)())
        except BaseException:  # guarded itself failed: never a silent success
            log.exception("job_crashed", job=job.name)
            results.append(False)

    def work(chain: list[Job]) -> None:
        for group in stages(chain):
            if len(group) == 1:
                one(group[0])
                continue
            beside = [threading.Thread(target=one, args=(j,), daemon=True) for j in group]
            for thread in beside:
                thread.start()
            for thread in beside:
                thread.join()

    workers = [
        threading.Thread(target=work, args=(chain,), name=f"run-once-{name}", daemon=True)
        for name, chain in chains(jobs).items()
    ]

    def stopping() -> float:  # the first signal: the jobs' stop, its deadline
        stop_event.set()
        log.info("stopping", bound_s=bound)
        on_stop(bound)
        return clock() + bound

    try:
        deadline, seen = None, signals.asked  # the stop signals looked at so far
        if signals.stop:  # come while the run started (however many): every job is skipped
            deadline = stopping()
        for worker in workers:
            worker.start()
        while running := [w for w in workers if w.is_alive()]:
            running[0].join(LOOK_EVERY)
            if signals.asked == seen:
                if (
                    deadline is not None
                    and clock() > deadline
                    and any(w.is_alive() for w in workers)
                ):
                    log.critical("stop_overdue", bound_s=bound)
                    return Outcome(ok=False, signum=signals.signum, abandoned=True)
                continue
            # Counted, not a flag reset: two signals whose handlers both ran
            # since the last look (a quick double Ctrl-C) were one stop.
            came, seen = signals.asked - seen, signals.asked
            if deadline is None:
                deadline, came = stopping(), came - 1
            if came:  # a second signal: leave now
                return Outcome(ok=False, signum=signals.signum, abandoned=True)
    finally:
        if threading.current_thread() is threading.main_thread():
            for number, handler in before.items():
                signal.signal(number, handler)
    stopped = stop_event.is_set()
    # Every job reported (a chain's thread cannot end early without a result)
    # and each succeeded; a stop is never a success.
    ok = len(results) == len(jobs) and all(results) and not stopped
    return Outcome(ok=ok, signum=signals.signum if stopped else 0)

"""The daemon's main loop, ``serve``: the scheduler's generations run until
a stop; a reload's new one swapped in; the wall clock's steps and the
caller's check looked at a few times a second on the main thread. The
scheduler itself is :mod:`tracker.service.daemon`'s."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from tracker.service.clockstep import ClockWatch
from tracker.service.daemon import Scheduler
from tracker.service.handover import Generation
from tracker.service.jobstats import JobStats
from tracker.service.periodic import Periodic
from tracker.signals import Signals

log = structlog.get_logger("tracker.daemon")


def serve(
    first: Generation,
    signals: Signals,
    *,
    stats: JobStats | None = None,
    on_ready: Callable[[], None] | None = None,
    reload: Callable[[], Generation | None] | None = None,
    on_stopping: Callable[[], None] | None = None,
    heartbeat: Callable[[], None] | None = None,
    heartbeat_every: float = 30.0,
    poll_every: float = 0.2,
    stop_bound: float | None = None,
    check: Callable[[], bool] | None = None,
    check_every: float = 1.0,
) -> bool:
    """Run ``first`` until ``signals.stop``; on ``signals.reload`` swap in ``reload()``.

    ``reload`` returns the new generation, or None to keep the current one (it
    logs why). ``on_ready`` runs once the jobs are scheduled, and again after
    each reload attempt. The generation in place at the end is closed.
    Return False when runs were still going ``stop_bound`` seconds after the
    stop (the caller should then exit at once, not wait for them). ``check``
    runs every ``check_every`` seconds on the main thread; True stops the
    daemon as a signal would (the caller knows why).
    """
    stats = stats or JobStats()
    scheduler = Scheduler(stats)
    signals.link(first.stop_event)  # a stop signal: the jobs send nothing from then on
    if signals.stop:  # came during the start: every job's run is skipped, nothing is sent
        first.stop_event.set()
    try:
        scheduler.start(first, heartbeat=heartbeat, heartbeat_every=heartbeat_every)
    except BaseException:
        first.close()
        raise
    try:
        # READY=1 even when a stop came during the start, STOPPING=1 after it
        # (the finally below): a Type=notify unit that exits without READY=1
        # is failed ("protocol") and Restart=on-failure would start it again.
        if on_ready is not None:
            on_ready()
        gone, clock = Periodic(check, check_every), ClockWatch()

        def look() -> None:  # the wall clock stepped: every job (the heartbeat too) runs now
            if (jump := clock.stepped()) is not None:
                log.warning("clock_stepped", seconds=round(jump, 1), jobs="run now")
                scheduler.run_all_now()

        while not signals.stop:
            # time.sleep returns at its deadline even when a signal arrives
            # (PEP 475); a fifth of a second is quick enough to set the
            # jobs' stop event, which the handler marked asked at once.
            time.sleep(poll_every)
            look()
            if gone():
                break
            if signals.reload and not signals.stop:
                signals.reload = False
                new = reload() if reload is not None else None
                if new is not None:
                    signals.link(new.stop_event)
                    # The check and the clock's look go on while the handover
                    # waits (a hanging call): a clock set back then starved the
                    # heartbeat, and systemd's watchdog killed the daemon.
                    scheduler.replace(new, stopping=lambda: signals.stop or gone(), meanwhile=look)
                if on_ready is not None:
                    on_ready()
    finally:
        log.info("daemon_stopping")
        if on_stopping is not None:
            on_stopping()
        clean = scheduler.shutdown(stop_bound)
        log.info("daemon_stopped", runs=stats.runs, failures=stats.failures, clean=clean)
    return clean

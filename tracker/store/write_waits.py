"""Database writes that waited long for the write lock: told in the log,
counted for the metrics.

:meth:`tracker.store.connection.Connection.write` times each write (the
wait for the process's own connection, then SQLite's ``BEGIN IMMEDIATE``
under ``busy_timeout``) and comes here only when it waited :attr:`slow`
seconds or more, or while a spell of slow writes is open: a quick write
costs two clock readings and a comparison. Another process holding the
lock (an ``sqlite3`` shell inside a transaction, a backup, ``prune``) would
otherwise hold the daemon's jobs up in silence until a write gives up
("database ... is busy").

Process-wide (:data:`WAITS`): every connection's writes, across reloads.
When to log is :mod:`tracker.rules.slow_writes`'s (one line at once, then
at most one a minute); the metrics endpoint serves the counts as
``smm_tracker_database_write_wait_seconds``. A line names the database,
the job (structlog's bound ``job``), the caller's label or the command
(:data:`COMMAND`, set by the CLI), and seconds: never a statement or its
parameters.
"""

from __future__ import annotations

import bisect
import contextvars
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # at the first slow write: a read command's start-up does without them
    from tracker.rules.slow_writes import Spell, Told

SLOW_WRITE = 1.0  # seconds: polls write in ~0.1 s, prune's batches hold the lock 0.05-0.3 s
# Slow writes only, up to a busy_timeout's worth (10 s by default, 600 s at most).
WAIT_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 600.0)
# The command running (`track`, `alerts`): set by the CLI for its own thread,
# never an argument's value. Threads start without it: the daemon's jobs
# name themselves (structlog's `job`), other threads by their name.
COMMAND: contextvars.ContextVar[str | None] = contextvars.ContextVar("command", default=None)


class WriteWaits:
    """The slow writes of the process: the spell being told, the counts by
    bucket of seconds waited (not cumulative) and their sum. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, slow: float = SLOW_WRITE):
        self.slow = slow  # a write that waited this long is told and counted
        self.open = False  # a spell is open: every write comes to ended()
        self._clock = clock
        self._lock = threading.Lock()
        self._spell: Spell | None = None
        self._counts = [0] * (len(WAIT_BUCKETS) + 1)
        self._sum = 0.0

    def ended(
        self, database: object, waited: float, held: float, what: str | None, got_lock: bool
    ) -> None:
        """One write ended (committed, rolled back or given up), having waited
        ``waited`` seconds for the lock and held it ``held``: count it when it
        waited long, and log what the spell calls for. One that got no lock
        is counted, not told: it fails with "database PATH is busy", which
        says so (a command's one line stays one)."""
        from tracker.rules.slow_writes import SlowWrite, judge_write

        slow = waited >= self.slow
        write = SlowWrite(waited, held, what or _caller()) if slow and got_lock else None
        with self._lock:
            if slow:
                self._counts[bisect.bisect_left(WAIT_BUCKETS, waited)] += 1
                self._sum += waited
            if not got_lock or (write is None and self._spell is None):
                return
            self._spell, told = judge_write(self._spell, self._clock(), write)
            self.open = self._spell is not None
        for line in told:
            _log(line, database, self.slow)

    def counts(self) -> tuple[tuple[int, ...], float]:
        """Return the slow writes by bucket of :data:`WAIT_BUCKETS` (the last:
        beyond them) and the seconds they waited in all."""
        with self._lock:
            return tuple(self._counts), self._sum


def _caller() -> str:
    """The job the write is part of (bound by the daemon's runs), else the
    command running (:data:`COMMAND`), else the thread's name."""
    import structlog

    job = structlog.contextvars.get_contextvars().get("job")
    return str(job) if job else COMMAND.get() or threading.current_thread().name


def _log(told: Told, database: object, slow: float) -> None:
    import structlog

    from tracker.rules.slow_writes import ENDED

    fields: dict[str, Any] = {"database": str(database), "writes": told.writes}
    if told.lasted:
        fields["lasted"] = round(told.lasted, 1)
    if (longest := told.longest) is not None:
        fields["what"] = longest.what
        fields["waited"] = round(longest.waited, 3)
        if longest.held >= slow:
            fields["held"] = round(longest.held, 3)
    log = structlog.get_logger("tracker.store")
    if told.event == ENDED:
        log.info(told.event, **fields)
    else:
        log.warning(told.event, **fields)


WAITS = WriteWaits()  # the process's: every connection's writes count here

"""Stop signals as flags: handlers only set them; the main loop acts on
them (the daemon, ``run --once``); and the stop signals caught from a
process's first moment, by the console script (:mod:`tracker.cli.entry`),
before the commands load. A bottom module: the read commands reach it too,
without the daemon's package."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Handler = Any  # what signal.getsignal returns: a callable, SIG_DFL, SIG_IGN or None


class Stop(threading.Event):
    """A stop event read as set (:meth:`is_set`) as soon as a stop signal's
    handler said so (:attr:`asked`, a plain assignment: no lock taken in a
    handler), before the event itself is set (by the main loop at its next
    look, or a thread of its own): what asks whether to send sees the stop
    at once; a wait on the event ends once it is set."""

    asked = False

    def is_set(self) -> bool:
        return self.asked or super().is_set()


# How often a relay looks whether a handler marked its stop asked: how long
# after a stop signal the event itself is set (what asks whether to send
# sees the stop at once, through Stop.is_set).
RELAY_EVERY = 0.05


@contextmanager
def relayed(stop: Stop) -> Iterator[None]:
    """While the block runs, a thread of its own sets ``stop`` within
    :data:`RELAY_EVERY` of a handler marking it asked, so that every wait on
    the event ends: a handler takes no lock (``Event.set`` takes the
    event's, ``Thread.start`` the threads' table's and waits for the new
    thread, any of which the interrupted main thread may hold at that
    instant: the command hung on Ctrl-C). The thread ends with the block, at
    once, or once the event is set."""
    done = threading.Event()

    def relay() -> None:
        while not done.wait(RELAY_EVERY):
            if stop.asked:
                stop.set()  # outside any handler: waiting for the lock is safe here
                return
            if threading.Event.is_set(stop):  # set otherwise (a timer, the last order)
                return

    thread = threading.Thread(target=relay, name="stop-relay", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


class Signals:
    """Flags set by signal handlers; the main loop acts on them.

    A handler does nothing but assign: taking a lock (as ``Event.set``
    does) in a handler can deadlock against the interrupted main thread.
    The jobs' stop events :meth:`link`-ed here are marked asked by it.
    """

    def __init__(self) -> None:
        self.stop = False
        self.reload = False
        self.signum = 0  # the last stop signal's number
        # How many stop signals came: two whose handlers both ran before the
        # main loop looked are two (`run --once`'s second leaves now), not one.
        self.asked = 0
        self.stops: list[Stop] = []  # marked asked by a stop signal's handler

    def link(self, event: threading.Event) -> None:
        """Have a stop signal mark ``event`` (the jobs' stop, a :class:`Stop`)
        asked as its handler runs: the jobs send nothing from then on, not
        from the main loop's next look at the flags (up to a fifth of a
        second, batches of a poll sent meanwhile). Those set are let go."""
        if isinstance(event, Stop):
            event.asked = event.asked or self.stop
            self.stops = [s for s in self.stops if not threading.Event.is_set(s)] + [event]

    def install(self, reload: bool = True, keep_ignored: bool = False) -> None:
        """Catch SIGTERM and SIGINT (and SIGHUP as a reload, unless ``reload``
        is False: then it keeps its own meaning). With ``keep_ignored``, a
        signal the process was started ignoring (``cmd &`` in a script without
        job control ignores SIGINT) stays ignored."""
        for number in (signal.SIGTERM, signal.SIGINT):
            if not (keep_ignored and signal.getsignal(number) == signal.SIG_IGN):
                signal.signal(number, self._on_stop)
        if reload:
            signal.signal(signal.SIGHUP, self._on_reload)

    def install_early(self) -> Callable[[], None]:
        """Catch SIGTERM alone, as early as a ``run`` is known (before its
        modules load): a stop while it starts is kept in :attr:`stop` for
        whoever takes these flags over (``run --once``'s jobs, the daemon),
        where it ended the process (-15, no line). A SIGTERM ignored from the
        start stays ignored. Return what puts the handler back as it was."""
        before = signal.getsignal(signal.SIGTERM)
        if before != signal.SIG_IGN:
            signal.signal(signal.SIGTERM, self._on_stop)

        def put_back() -> None:
            signal.signal(signal.SIGTERM, before)

        return put_back

    def _on_stop(self, signum: int, _frame: object) -> None:
        self.signum = signum
        self.asked += 1
        self.stop = True
        for stop in self.stops:
            stop.asked = True

    def _on_reload(self, _signum: int, _frame: object) -> None:
        self.reload = True


class FromStart:
    """SIGTERM and SIGINT caught from a process's first moment (the console
    script's, before the commands load: :func:`catch_from_start`), kept in
    :attr:`signals` until whoever learns which command runs releases them:
    before, a SIGTERM ended the process by its default action (-15, no line)
    and a Ctrl-C was a traceback."""

    def __init__(self) -> None:
        self.signals = Signals()
        self.before: dict[int, Handler] = {}  # each signal caught: its handler before

    def catch(self) -> None:
        # SIGINT first: once SIGTERM is caught (what /proc shows: Python
        # catches SIGINT from its own start) a Ctrl-C is caught too; caught
        # the other way round, one between the two was a traceback.
        for number in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(number)
            if handler != signal.SIG_IGN:  # one the process started ignoring stays so
                self.before[number] = handler
                signal.signal(number, self.signals._on_stop)

    def release(self, *numbers: int) -> None:
        """Put back the handlers of ``numbers`` (default: all) as they were."""
        for number in numbers or tuple(self.before):
            if number in self.before:
                signal.signal(number, self.before.pop(number))


_FROM_START: list[FromStart] = []


def catch_from_start() -> None:
    """Catch the stop signals now, kept for :func:`from_start` (once a process)."""
    first = FromStart()
    first.catch()
    _FROM_START.append(first)


def from_start() -> FromStart | None:
    """The stop signals caught from the start while some are still held, else None
    (a process that did not start so: click's test runner, in-process callers)."""
    if _FROM_START and _FROM_START[-1].before:
        return _FROM_START[-1]
    return None


@contextmanager
def handled_by(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM go to ``handler``; a signal
    the process was started ignoring (``cmd &`` in a script) stays ignored;
    each put back as it was after."""
    numbers = (signal.SIGINT, signal.SIGTERM)
    before = {n: signal.getsignal(n) for n in numbers if signal.getsignal(n) != signal.SIG_IGN}
    for number in before:
        signal.signal(number, handler)
    try:
        yield
    finally:
        for number, previous in before.items():
            signal.signal(number, previous)

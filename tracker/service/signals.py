"""The demo's simple stop: SIGTERM and SIGINT stop ``demo`` and ``simulate``
(the flags the daemon and ``run --once`` act on are :mod:`tracker.signals`).

A handler only assigns, as the daemon's do: it marks the stop asked
(:class:`~tracker.signals.Stop`, read as set at once) and keeps the signal's
number. It takes no lock: ``Event.set`` takes the event's own, which the
interrupted main thread may hold at that instant (inside ``Event.wait``'s
re-acquire, a set or a clear), and the handler then waited forever for a
thread that was waiting for it: the demo hung on Ctrl-C. The event itself
is set by a thread of its own (:func:`~tracker.signals.relayed`), within
:data:`~tracker.signals.RELAY_EVERY` of the handler: every wait on it ends then, as it did
when the handler set it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from tracker.signals import Stop, relayed


@contextmanager
def stop_signals(stop: Stop) -> Iterator[list[int]]:
    """While the block runs, SIGTERM and SIGINT stop it: ``stop`` is marked
    asked by their handler, which takes no lock, and set by a thread of its
    own within :data:`~tracker.signals.RELAY_EVERY` (:func:`~tracker.signals.relayed`).
    Yield the list each signal caught is added to: a stop asked for, told
    from ``stop`` set otherwise (a timer, ``demo --duration``). The handlers
    stay installed after the block (as before: a signal then only marks the
    stop asked); the thread ends with it."""
    caught: list[int] = []  # each stop signal caught, in order

    def handler(signum: int, _frame: object) -> None:
        caught.append(signum)  # no lock: a list's append is one step
        stop.asked = True

    with relayed(stop):
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        yield caught

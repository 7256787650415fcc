"""The demo's simple stop: SIGTERM and SIGINT stop ``demo`` and ``simulate``
(the flags the daemon and ``run --once`` act on are :mod:`tracker.signals`).

A handler only assigns, as the daemon's do: it marks the stop asked
(:class:`~tracker.signals.Stop`, read as set at once) and keeps the signal's
number. It takes no lock: ``Event.set`` takes the event's own, which the
interrupted main thread may hold at that instant (inside ``Event.wait``'s
re-acquire, a set or a clear), and the handler then waited forever for a
thread that was waiting for it: the demo hung on Ctrl-C. The event itself
is set by a thread of its own (:func:`stop_signals`), within
:data:`RELAY_EVERY` of the handler: every wait on it ends then, as it did
when the handler set it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tracker.signals import Stop

# How often the relay looks whether a handler asked for the stop: the bound
# on how long after a Ctrl-C the event is set (what asks whether to send sees
# the stop at once, through Stop.is_set).
RELAY_EVERY = 0.05


class _Relay:
    """The handler of SIGTERM and SIGINT (it only assigns) and the thread
    setting ``stop`` once one of them asked for it."""

    def __init__(self, stop: Stop) -> None:
        self.stop = stop
        self.caught: list[int] = []  # each stop signal caught, in order
        self.done = False  # the block ended: the relay's thread ends too

    def handler(self, signum: int, _frame: object) -> None:
        self.caught.append(signum)  # no lock: a list's append is one step
        self.stop.asked = True

    def run(self) -> None:
        # Ends once the event is set (by the relay, a --duration's timer, or
        # the demo's last order ending) or the block is over.
        while not self.done:
            if self.stop.asked:
                self.stop.set()  # outside any handler: waiting for the lock is safe here
                return
            if self.stop.wait(RELAY_EVERY):
                return


@contextmanager
def stop_signals(stop: Stop) -> Iterator[list[int]]:
    """While the block runs, SIGTERM and SIGINT stop it: ``stop`` is marked
    asked by their handler, which takes no lock, and set by a thread of its
    own within :data:`RELAY_EVERY`. Yield the list each signal caught is
    added to: a stop asked for, told from ``stop`` set otherwise (a timer,
    ``demo --duration``). The handlers stay installed after the block (as
    before: a signal then only marks the stop asked); the thread ends with it."""
    relay = _Relay(stop)
    thread = threading.Thread(target=relay.run, name="stop-signals", daemon=True)
    thread.start()
    try:
        signal.signal(signal.SIGTERM, relay.handler)
        signal.signal(signal.SIGINT, relay.handler)
        yield relay.caught
    finally:
        relay.done = True
        thread.join()  # within RELAY_EVERY

"""``demo`` and ``simulate``: a stop signal's handler takes no lock.

Their handler called ``Event.set``, which takes the event's own lock. A
signal's handler runs in the main thread, between two of its steps: one
landing while that thread held the lock (inside ``Event.wait``'s
re-acquire, a set or a clear) waited forever for itself, and the demo hung
on Ctrl-C. The handler only assigns now, as the daemon's do; a thread of
its own sets the event (within ``RELAY_EVERY``), and the stop is read as
set at once (:class:`~tracker.signals.Stop`).

The lock below is the event's, made to say when the thread holding it asks
for it again (where the real one blocks forever): no sleep, no race.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import pytest

from tracker.service.signals import stop_signals
from tracker.signals import Stop


class OwnedLock:
    """A lock that raises where a thread holding it asks for it again
    (a plain Lock would block that thread forever); other threads wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if blocking and self.owner == threading.get_ident():
            raise AssertionError("took the event's lock its own thread holds: blocked forever")
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.owner = threading.get_ident()
        return got

    def release(self) -> None:
        self.owner = None
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> dict[int, Any]:
    """The handlers installed, kept here instead of in the process."""
    installed: dict[int, Any] = {}
    monkeypatch.setattr(signal, "signal", lambda number, held: installed.update({number: held}))
    return installed


def guarded_stop() -> Stop:
    stop = Stop()
    stop._cond = threading.Condition(OwnedLock())  # type: ignore[attr-defined]
    return stop


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_landing_while_the_main_thread_holds_the_events_lock_returns(
    handlers, signum
):
    stop = guarded_stop()
    with stop_signals(stop) as caught:
        with stop._cond:  # type: ignore[attr-defined]  # inside Event.wait, a set or a clear
            handlers[signum](signum, None)  # before: Event.set here, blocked forever
            assert stop.is_set()  # read as set at once: nothing more is sent
            assert caught == [signum]  # a stop asked for: the demo exits 0
        assert stop.wait(30)  # then set, outside the handler: every wait on it ends


def test_the_events_waits_end_once_a_handler_asked(handlers):
    stop = guarded_stop()
    with stop_signals(stop):
        handlers[signal.SIGINT](signal.SIGINT, None)
        assert stop.wait(30)  # set by the relay, not by the handler
        assert threading.Event.is_set(stop)  # the event itself, not only asked


def test_the_relay_thread_ends_with_the_block(handlers):
    def relays() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "stop-relay"]

    stop = Stop()
    with stop_signals(stop) as caught:
        assert len(relays()) == 1
    assert relays() == []  # no stop asked: nothing set, nothing left running
    assert caught == [] and not stop.is_set()
    assert set(handlers) == {signal.SIGINT, signal.SIGTERM}

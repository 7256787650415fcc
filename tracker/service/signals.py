"""The demo's simple stop: SIGTERM and SIGINT set an event (the flags the
daemon and ``run --once`` act on are :mod:`tracker.signals`)."""

from __future__ import annotations

import signal
import threading


def install_signal_handlers(stop: threading.Event) -> list[int]:
    """Make SIGTERM and SIGINT set ``stop`` (the demo's simple loop); return
    the list each signal caught is added to: a stop asked for, told from
    ``stop`` set by a timer (``demo --duration``)."""
    caught: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        caught.append(signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return caught

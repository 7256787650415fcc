"""A monotonic clock that only the recorded sleeps move on, as real sleeps
move ``time.monotonic``: hand ``clock`` and ``sleep`` to what is tested."""

from __future__ import annotations


class FakeTime:
    """Given the clock's start (and, optionally, the list to record sleeps
    in), a clock and a sleep that moves it."""

    def __init__(self, now: float = 1000.0, sleeps: list[float] | None = None) -> None:
        self.now = now
        self.sleeps: list[float] = [] if sleeps is None else sleeps

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

"""A wall clock and its monotonic twin, for tests of clock steps (a VM resumed)."""

from __future__ import annotations

from datetime import datetime, timedelta


class Resumable:
    """Starting at ``start``: ``advance`` moves both clocks, ``sleep`` (a VM
    suspended) the wall clock alone."""

    def __init__(self, start: datetime) -> None:
        self.now, self.tick = start, 1000.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.tick

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.tick += seconds

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

"""A wall clock and its monotonic and boot twins, for tests of clock steps
(a VM resumed, a laptop woken, NTP stepping the clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


class Resumable:
    """Starting at ``start``: ``advance`` moves every clock, ``sleep`` (a VM
    suspended) the wall clock and the boot clock (CLOCK_BOOTTIME, counting a
    suspend), ``step`` (NTP or an operator setting it) the wall clock alone.
    Without the boot clock (a test that does not pass :meth:`boottime`) a
    sleep and a step look the same."""

    def __init__(self, start: datetime) -> None:
        self.now, self.tick, self.boot = start, 1000.0, 5000.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.tick

    def boottime(self) -> float:
        return self.boot

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.tick += seconds
        self.boot += seconds

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.boot += max(0.0, seconds)  # a negative "sleep" is the clock set back

    def step(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def resumed_world(tmp_path: Any, boot: bool, **options: Any) -> tuple[Resumable, Any]:
    """A refill_world.World on the simulated panel, its clocks a Resumable
    (from 2026-11-01 20:00 UTC), the boot clock passed when ``boot``, its
    services synced; ``options`` go to World (its automation TOML...)."""
    from refill_world import World

    clock = Resumable(datetime(2026, 11, 1, 20, 0, tzinfo=UTC))
    twins = {"boottime": clock.boottime} if boot else {}
    world = World(tmp_path, clock, monotonic=clock.monotonic, **twins, **options)
    assert world.sync_services()
    return clock, world


def poll_round(world: Any) -> None:
    """One poll, then the panel's automation round (which must succeed)."""
    world.poll()
    assert world.jobs["automation:sim"].run()

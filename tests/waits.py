"""A wait in a test for what the daemon's threads do: its deadline only
guards against a hang; nothing asserts how fast anything is."""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT = 20.0  # seconds: only ever reached when something hangs


def until(done: Callable[[], object], what: str, wait: float = WAIT) -> None:
    """Poll ``done`` until it is true; fail with ``what`` after ``wait`` seconds."""
    end = time.monotonic() + wait
    while not done():
        assert time.monotonic() < end, what
        time.sleep(0.02)

"""A receiver that drips every answer, on a fake clock: no sockets, no waiting.

:class:`Dripping` stands in for :func:`tracker.panel.deadline.exchange`, so a
panel client or the webhook sink built with its ``sleep`` and ``clock`` sees
every attempt run to its whole-call deadline and be cut there.
"""

from __future__ import annotations

import httpx
import pytest

from tracker.panel import deadline


class Dripping:
    """Every call runs to its whole-call deadline and is cut there. Records the
    deadline each attempt was given; time is a fake monotonic clock moved by
    the attempts and the waits."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.now = 1000.0
        self.deadlines: list[float] = []
        monkeypatch.setattr(deadline, "exchange", self.exchange)

    def exchange(self, *_args: object, seconds: float, **_kwargs: object) -> httpx.Response:
        self.deadlines.append(seconds)
        self.now += seconds
        raise deadline.DeadlineExceeded(f"no complete answer within {seconds:g}s")

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now

"""A receiver that drips every answer, on a fake clock: no sockets, no waiting.

:class:`Dripping` stands in for :func:`tracker.panel.deadline.exchange`, so a
panel client or the webhook sink built with its ``sleep`` and ``clock`` sees
every attempt run to its whole-call deadline and be cut there; :func:`silent`
cuts so one action's calls to a real server, the others answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def silent(
    monkeypatch: pytest.MonkeyPatch, action: str, when: Callable[[], bool] = lambda: True
) -> list[float]:
    """Make each call of ``action`` made while ``when()`` (a real one on
    loopback: the other calls go to their server as before) end as a
    dripping answer cut at its whole-call deadline ends, DeadlineExceeded,
    at once instead of after that deadline's seconds. Return the deadlines
    the calls so cut were given."""
    real, cut = deadline.exchange, []
    asked = f"action={action}".encode()

    def exchange(*args: Any, seconds: float, **kwargs: Any) -> httpx.Response:
        content = kwargs.get("content")
        if isinstance(content, bytes) and asked in content.split(b"&") and when():
            cut.append(seconds)
            raise deadline.DeadlineExceeded(f"no complete answer within {seconds:g}s")
        return real(*args, seconds=seconds, **kwargs)

    monkeypatch.setattr(deadline, "exchange", exchange)
    return cut

"""For the tests of alerts on the wire when the tracker stops or closes: a
webhook receiver that holds each POST until the test lets go (``hanging``),
``until``, a bounded wait for a condition, and ``kept``, the alerts kept."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hostile import HostileServer, Reply

WAIT = 10.0  # seconds: only ever reached when something hangs


@pytest.fixture
def hanging() -> Iterator[tuple[HostileServer, threading.Event]]:
    """A webhook receiver that holds each POST until released (30 s at most)."""
    release = threading.Event()

    def respond(_form: dict[str, str]) -> Reply:
        release.wait(30)
        return Reply(b"")

    with HostileServer(respond) as server:
        try:
            yield server, release
        finally:
            release.set()


def until(check: Callable[[], object], timeout: float = WAIT) -> bool:
    """Wait until ``check()`` is true, at most ``timeout`` seconds; return it."""
    end = time.monotonic() + timeout
    while not check() and time.monotonic() < end:
        time.sleep(0.02)
    return bool(check())


def kept(database: Path) -> list[tuple[int, str]]:
    """The alerts kept to be sent again (``alert_deliveries``): (alert ID, target)."""
    db = sqlite3.connect(database)
    try:
        rows = db.execute("SELECT alert_id, target FROM alert_deliveries ORDER BY alert_id")
        return [(int(r[0]), str(r[1])) for r in rows]
    finally:
        db.close()

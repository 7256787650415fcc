"""A fixture for tests that read log events with ``structlog.testing.capture_logs``.

The CLI configures structlog with ``cache_logger_on_first_use=True``; a
module logger first used after such a run keeps that run's processors, and
``capture_logs`` can no longer see it (whatever test ran first). This
fixture gives every ``tracker.*`` module a fresh, uncached logger for the
test, then puts the old ones back.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
import structlog
from structlog._config import BoundLoggerLazyProxy
from structlog.testing import capture_logs


@pytest.fixture
def fresh_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    structlog.configure(cache_logger_on_first_use=False)
    for name, module in list(sys.modules.items()):
        old = getattr(module, "log", None) if name.startswith("tracker.") else None
        if isinstance(old, BoundLoggerLazyProxy):
            monkeypatch.setattr(module, "log", structlog.get_logger(*old._logger_factory_args))
    yield


def _by_thread(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    event["thread"] = threading.current_thread()
    return event


@contextlib.contextmanager
def thread_logs() -> Iterator[list[dict[str, Any]]]:
    """As structlog's ``capture_logs``, each event with the thread that logged
    it (``"thread"``): ``capture_logs`` sees every thread of the process, a
    sink's or a server's an earlier test of the same worker left running too,
    and a test checking every event of its own objects keeps theirs alone."""
    with capture_logs() as logs:
        # The list capture_logs configured, kept by every bound logger; it
        # puts the old processors back into it at the end.
        structlog.get_config()["processors"].insert(0, _by_thread)
        yield logs


def json_entries(text: str) -> list[dict[str, Any]]:
    """Given a run's stderr in JSON lines, return each line's object, in order
    (a line that is no JSON object left out)."""
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries

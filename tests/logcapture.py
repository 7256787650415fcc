"""A fixture for tests that read log events with ``structlog.testing.capture_logs``.

The CLI configures structlog with ``cache_logger_on_first_use=True``; a
module logger first used after such a run keeps that run's processors, and
``capture_logs`` can no longer see it (whatever test ran first). This
fixture gives every ``tracker.*`` module a fresh, uncached logger for the
test, then puts the old ones back.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog._config import BoundLoggerLazyProxy


@pytest.fixture
def fresh_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    structlog.configure(cache_logger_on_first_use=False)
    for name, module in list(sys.modules.items()):
        old = getattr(module, "log", None) if name.startswith("tracker.") else None
        if isinstance(old, BoundLoggerLazyProxy):
            monkeypatch.setattr(module, "log", structlog.get_logger(*old._logger_factory_args))
    yield


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

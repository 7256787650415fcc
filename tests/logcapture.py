"""A fixture for tests that read log events with ``structlog.testing.capture_logs``.

The CLI configures structlog with ``cache_logger_on_first_use=True``; a
module logger first used after such a run keeps that run's processors, and
``capture_logs`` can no longer see it (whatever test ran first). This
fixture gives every ``tracker.*`` module a fresh, uncached logger for the
test, then puts the old ones back.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

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

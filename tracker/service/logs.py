"""structlog setup: console on a TTY, one JSON object per line otherwise.

Standard-library loggers (apscheduler, httpx, tenacity) are routed through the
same processors. A redaction processor replaces every registered secret with
``***`` wherever it appears, and tracebacks never show frame locals.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import structlog
from structlog.tracebacks import ExceptionDictTransformer

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
REDACTED = "***"


def register_secret(value: str) -> None:
    """Remember a value that must never be written to a log."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact_text(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v) for v in value)
    return value


def redact_processor(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: scrub registered secrets from every field."""
    if not _secrets:
        return event_dict
    return {k: _redact(v) for k, v in event_dict.items()}


class _RedactingStream:
    """Last line of defence: scrub the rendered line too (a secret inside a
    traceback string, a repr...)."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(redact_text(text))

    def flush(self) -> None:
        self._stream.flush()


def configure(
    level: str = "info", fmt: str = "auto", *, stream: Any = None, cache: bool = True
) -> None:
    """Set up structlog and stdlib logging for the whole process."""
    stream = stream or sys.stderr
    numeric = getattr(logging, level.upper(), logging.INFO)
    use_json = fmt == "json" or (fmt == "auto" and not getattr(stream, "isatty", lambda: False)())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    if use_json:
        renderer: Any = structlog.processors.JSONRenderer()
        final: list[Any] = [
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            redact_processor,
            renderer,
        ]
    else:
        final = [
            redact_processor,
            structlog.dev.ConsoleRenderer(
                colors=getattr(stream, "isatty", lambda: False)(),
                exception_formatter=structlog.dev.plain_traceback,
            ),
        ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(_RedactingStream(stream))
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # Chatty libraries: httpx logs every URL at INFO, apscheduler every run.
    for name in ("httpx", "httpcore", "apscheduler", "tenacity"):
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=cache,
    )

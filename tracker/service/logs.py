"""structlog setup: console on a TTY, one JSON object per line otherwise.

Standard-library loggers (apscheduler, httpx, tenacity) are routed through the
same processors. A redaction processor replaces every registered secret with
``***`` wherever it appears, and tracebacks never show frame locals.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from structlog.tracebacks import ExceptionDictTransformer

from tracker.redact import has_secrets, redact_text, redact_value


def redact_processor(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: scrub registered secrets from every field."""
    if not has_secrets():
        return event_dict
    return {k: redact_value(v) for k, v in event_dict.items()}


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

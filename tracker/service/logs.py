"""structlog setup: console on a TTY (on the CLI's terminal, its lines for a
person), one JSON object per line otherwise.

Standard-library loggers (apscheduler, httpx, tenacity) are routed through the
same processors. A redaction processor replaces every registered secret with
``***`` wherever it appears, and tracebacks never show frame locals.

Under systemd, when stderr is the journal (``$JOURNAL_STREAM`` names its
device and inode), every line starts with its syslog priority (``<2>``
critical: the daemon's own failures, ``<3>`` error,
``<4>`` warning, ``<6>`` info, ``<7>`` debug; sd-daemon(3)) and carries no
timestamp of its own: journald stamps each entry, and ``journalctl -p err``
then shows exactly the errors. Colours follow the terminal, ``NO_COLOR`` and ``TERM=dumb``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import structlog
from structlog.tracebacks import ExceptionDictTransformer

from tracker.redact.scrub import has_secrets, redact_text, redact_value
from tracker.terminal import escape_controls, escape_unjsoned, escaped_traceback, is_journal


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


FORMATS = ("auto", "console", "json", "text")

# syslog priorities by structlog level name (sd-daemon(3) prefixes).
PRIORITIES = {
    "critical": 2,
    "exception": 3,
    "error": 3,
    "warning": 4,
    "warn": 4,
    "notice": 5,
    "info": 6,
    "debug": 7,
}


def wants_colour(stream: Any, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)
    or ``TERM`` is ``dumb`` (a terminal that shows escapes as text)."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class _Prioritised:
    """Wrap a renderer: prefix each rendered line with the event's syslog priority."""

    def __init__(self, renderer: Any):
        self._renderer = renderer

    def __call__(self, logger: Any, name: str, event_dict: dict[str, Any]) -> str:
        priority = PRIORITIES.get(str(event_dict.get("level", "info")).lower(), 6)
        text = str(self._renderer(logger, name, event_dict))
        return "\n".join(f"<{priority}>{line}" for line in text.split("\n"))


def _amounts_as_numbers(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Write a money amount (a Decimal) as a JSON number, as ``--json`` does:
    the JSON renderer's fallback wrote ``"Decimal('0.12150')"``."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in event.items()}


def _amounts_as_text(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Write a money amount (a Decimal) as its digits in console lines
    (``estimated_cost=0.12150``, not ``Decimal('0.12150')``)."""
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in event.items()}


def _escape_controls(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Show a panel's control characters escaped in console log lines (a
    currency "US\\x1bD" must not reach the terminal as an escape sequence)."""
    return {k: escape_controls(v) if isinstance(v, str) else v for k, v in event.items()}


_FIGURES = (int, float, bool, type(None))


def _unjsoned(value: Any) -> Any:
    if isinstance(value, str):
        return escape_unjsoned(value)
    if isinstance(value, dict):
        return {_unjsoned(k): _unjsoned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_unjsoned(v) for v in value]
    return value


def _escape_unjsoned(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Show a panel's bidi, invisible and C1 characters escaped in JSON log
    lines, nested values too (an alert's ``data``): JSON writes them as
    ``\\u202e``, but a shipper or ``jq -r`` decodes them back into a viewer
    that obeys or hides them. C0 controls stay JSON's to escape."""
    for value in event.values():  # most lines (a poll's): figures and ASCII words
        kind = type(value)
        if kind is str:
            if not value.isascii() or "\x7f" in value:
                break
        elif kind not in _FIGURES:
            break
    else:
        return event
    return {k: _unjsoned(v) for k, v in event.items()}


def _escaped_traceback(stream: Any, exc_info: Any) -> None:
    """structlog's plain traceback for console lines, a panel's words in an
    exception's message escaped (:func:`tracker.terminal.escaped_traceback`)."""
    stream.write("\n" + escaped_traceback(exc_info))


def configure(
    level: str = "info",
    fmt: str = "auto",
    *,
    stream: Any = None,
    cache: bool = True,
    journal: bool | None = None,
    person: Callable[[bool], Any] | None = None,
) -> None:
    """Set up structlog and stdlib logging for the whole process.

    ``fmt`` is ``auto`` (console on a terminal, JSON otherwise), ``console``,
    ``json`` or ``text`` (``person``'s lines wherever they go, console's
    without one). ``journal`` (default: detected from ``$JOURNAL_STREAM``)
    adds the syslog priority prefixes and drops the timestamp. ``person``
    (the CLI's, given when stderr is a terminal and ``auto`` was asked, or
    ``text`` wherever it goes): given whether
    to colour, the renderer of console lines for a person in place of
    structlog's key=value ones; never for JSON nor the journal.
    """
    stream = stream or sys.stderr
    numeric = getattr(logging, level.upper(), logging.INFO)
    if journal is None:
        journal = is_journal(stream)
    if journal:  # never a terminal: journald reads its lines as before
        person = None
    terminal = person is not None or getattr(stream, "isatty", lambda: False)()
    use_json = fmt == "json" or (fmt == "auto" and not terminal)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
    ]
    if not journal:  # journald stamps every entry itself
        shared.insert(3, structlog.processors.TimeStamper(fmt="iso", utc=True))
    if use_json:
        renderer: Any = structlog.processors.JSONRenderer()
        final: list[Any] = [
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            redact_processor,
            _amounts_as_numbers,
            _escape_unjsoned,
            renderer,
        ]
    elif person is not None:
        final = [
            # A traceback's text, a panel's words in it escaped; blanked below.
            structlog.processors.ExceptionRenderer(escaped_traceback),
            redact_processor,
            _amounts_as_text,
            person(wants_colour(stream)),  # escapes the controls of its line itself
        ]
    else:
        final = [
            redact_processor,
            _amounts_as_text,
            _escape_controls,  # JSON escapes them itself; a terminal would obey them
            structlog.dev.ConsoleRenderer(
                colors=wants_colour(stream) and not journal,
                exception_formatter=_escaped_traceback,
            ),
        ]
    if journal:
        final[-1] = _Prioritised(final[-1])
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
    # Its warnings are the schedule working as meant (a poll longer than its
    # interval skips the next run: max_instances 1, coalesce), every interval
    # while a panel is slow; the jobs log their own failures. Shown at debug.
    if numeric > logging.DEBUG:
        logging.getLogger("apscheduler.scheduler").setLevel(max(numeric, logging.ERROR))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=cache,
    )

"""Log lines as a person at a terminal reads them: the time, the level, the
event and the few fields that say what happened (an alert: its kind, panel
and message), long values cut and an alert's data left out, wrapped at
words to the terminal's width, the rest of a line indented under its event.

Only for stderr a terminal with ``logging.format = "auto"``: piped, under
journald, as JSON or with ``console`` asked for, the lines stay structlog's,
every field (scripts, journald and ``--log-format console`` read them).
:func:`for_terminal` is the one look; the renderer itself is pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tracker.cli import screen
from tracker.cli.cells import on_screen, wrap_text
from tracker.cli.screen import Screen, fitted
from tracker.clock import utcnow
from tracker.terminal import escape_controls

# Fields a person does not read: the structlog frame, an alert's data (its
# message says it), the poll's timings (metrics have them), the job (its
# panel and event say it; kept when there is no panel: job_failed).
LEFT_OUT = frozenset(("timestamp", "level", "event", "logger", "data", "exception"))
TIMINGS = frozenset(("cpu_s", "wall_s", "write_s"))
WORDS = frozenset(("message", "error", "reason"))  # words for a person: never cut
LONGEST = 100  # any other value cut to this many columns
LISTED = 5  # items of a list shown, the rest counted
EVENT_AT = 18  # "07:57:58 warning  " the column the event starts at
NARROW = 50  # narrower, the rest of a line indented by 2 only
_COLOURS = {"warning": "\x1b[33m", "error": "\x1b[31m", "critical": "\x1b[1;31m"}
_RESET = "\x1b[0m"


def for_terminal() -> Callable[[bool], Callable[..., str]] | None:
    """Return the maker of the renderer for a person (given whether to
    colour) when stderr is a terminal; None when it is a pipe, a file or
    closed: structlog's lines, as scripts read them."""
    if not screen.stderr_is_terminal():
        return None
    return lambda colours: PersonLines(screen.stderr_columns, colours)


MAILED = 78  # columns of a line for a person read off a pipe or a file (cron's mail)


def for_text() -> Callable[[bool], Callable[..., str]]:
    """Return the maker of the renderer for a person wherever stderr goes
    (``logging.format = "text"``: cron mails what a run writes), never
    coloured off a terminal; at its width on one, else MAILED columns."""
    if screen.stderr_is_terminal():
        return lambda colours: PersonLines(screen.stderr_columns, colours)
    return lambda _colours: PersonLines(lambda: MAILED, False)


class PersonLines:
    """structlog's last processor: an event dict into the lines a person
    reads, at the width ``columns()`` says now (a resized terminal too)."""

    def __init__(self, columns: Callable[[], int], colours: bool = False):
        self._columns = columns
        self._colours = colours

    def __call__(self, _logger: Any, _name: str, event: dict[str, Any]) -> str:
        return person_line(event, self._columns(), self._colours)


def person_line(event: Mapping[str, Any], width: int, colours: bool = False) -> str:
    """Given an event dict and the terminal's width, return its line for a
    person: "07:57:58 warning  alert order_partial panel=sim: order #447002
    partial (...)", wrapped at its words; a traceback after it as it is."""
    level = str(event.get("level", "info")).lower()
    clock = _clock(event.get("timestamp"))
    wide = width >= NARROW  # the events in a column; narrower, the line's words all kept
    head = f"{clock}{level:<8} " if wide else f"{clock}{level} "
    words = " ".join([str(event.get("event", "")), *_fields(event)])
    indent = min(len(head), EVENT_AT) if wide else 2
    text = fitted(head + escape_controls(words), Screen(utcnow(), width), indent)
    at = len(clock)
    if colours and level in _COLOURS and text[at : at + len(level)] == level:
        text = f"{text[:at]}{_COLOURS[level]}{level}{_RESET}{text[at + len(level) :]}"
    trace = event.get("exception")
    return f"{text}\n{trace}" if trace else text


def _fields(event: Mapping[str, Any]) -> list[str]:
    """The fields shown after the event, as key=value: the panel first, the
    rest in their order, none without a value; an alert's kind before them
    and its message after them, as words, the panel it starts with left
    out (``panel=`` names it: "panel=sim: sim: ..." said it twice)."""
    alert = event.get("event") == "alert"
    panel = event.get("panel") or None  # "": an alert of no one panel
    shown = [str(event["alert"])] if alert and event.get("alert") else []
    if panel is not None:
        shown.append(f"panel={_value('panel', panel)}")
    for key, value in event.items():
        if key in LEFT_OUT or key in TIMINGS or key == "panel" or value is None:
            continue
        if alert and key in ("alert", "severity", "message"):
            continue
        if key == "job" and panel is not None:
            continue
        shown.append(f"{key}={_value(key, value)}")
    if alert and event.get("message"):
        if shown:
            shown[-1] += ":"
        message = str(event["message"])
        named = f"{panel}: "
        shown.append(message[len(named) :] if panel and message.startswith(named) else message)
    return shown


def _value(key: str, value: Any) -> str:
    """A field's value as a person reads it: words quoted, a list's first
    items and a count of the rest, a long value cut."""
    if isinstance(value, list | tuple | set | frozenset):
        items = [str(v) for v in list(value)[:LISTED]]
        more = len(value) - len(items)
        text = "[" + ", ".join(items) + (f", … {more} more" if more else "") + "]"
    else:
        text = str(value)
        if text == "" or any(c.isspace() for c in text):
            text = f'"{text}"'
    if key not in WORDS and on_screen(text) > LONGEST:
        text = wrap_text(text, LONGEST - 1)[0] + "…"  # at a word when there is one
    return text


def _clock(stamp: Any) -> str:
    """The time of an ISO timestamp (UTC), to the second, and a blank; none:
    nothing (under journald, which stamps the line itself)."""
    text = str(stamp or "")
    return f"{text[11:19]} " if len(text) >= 19 and text[10] == "T" else ""

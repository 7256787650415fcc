"""What must never reach a terminal raw, and how it is shown instead.

The bottom of the tree, like :mod:`tracker.redact.scrub` (which knows the same
invisible characters): the CLI's tables and error lines and the console log
renderer all escape through here.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Mapping
from functools import cache
from types import TracebackType
from typing import Any

from tracker.redact.layout import INVISIBLE

# C0 and C1 controls (ESC starts escape sequences, BEL, CR and LF rewrite
# lines), DEL, line and paragraph separators, and the format characters: the
# bidirectional controls (overrides, isolates and the marks ALM, LRM, RLM:
# they reorder what is shown), zero-width spaces and joiners, the soft hyphen
# (nothing shows them: a key with them inside would show as the key).
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{INVISIBLE}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@cache
def _unjson() -> re.Pattern[str]:
    """Of those, what JSON text (json.dumps, ASCII) leaves its reader to get
    back as the character itself: DEL, C1 and the format characters (a C0
    control it escapes as a character its readers expect: a newline).
    Compiled at its first use (~4M instructions of every start otherwise)."""
    return re.compile(f"[\x7f-\x9f\u2028\u2029{INVISIBLE}]")


def _escaped(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # a tag character
        return f"\\U{code:08x}"
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(text: str) -> str:
    """Given text (a panel's words, say), return it with every character that
    could move the cursor, rewrite a line or reorder what is shown written as
    an escape (ESC as \\x1b, LF as \\n, U+202E as \\u202e), and every
    invisible one too (U+200B as \\u200b)."""
    return _UNSAFE.sub(lambda m: _escaped(m.group(0)), text)


def escape_piped(text: str) -> str:
    """Given text for a cell of a table piped (a script reads it), return it
    as :func:`escape_controls` writes it, a backslash first written ``\\\\``:
    a panel's own two characters ``\\n`` read apart from an escaped line
    break. Escape raw text only: escaped text again doubles its escapes."""
    return escape_controls(text.replace("\\", "\\\\"))


def escape_unjsoned(text: str) -> str:
    """Given text bound for a JSON log line, return it with the characters a
    JSON reader would get back raw and a viewer obey or hide (U+202E, U+200B,
    a C1 control) written as :func:`escape_controls` writes them; C0 controls
    (a newline) left to JSON's own escapes. ASCII text (most) as it is."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _unjson().sub(lambda m: _escaped(m.group(0)), text)


def escaped_traceback(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
) -> str:
    """Given an exception's ``sys.exc_info()``, return its traceback as Python
    prints it (without its last line break, as structlog writes it), but
    with each exception's own words (a panel's, maybe) on one
    line, its line breaks and control characters shown escaped as
    :func:`escape_controls` shows them: a message's ESC, CR or a newline
    followed by a forged log line is never obeyed nor a line of the log."""
    kind, error, trace = exc_info
    text = "".join(traceback.format_exception(kind, error, trace))
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # the chain, as printed
        seen.add(id(current))
        said = "".join(traceback.format_exception_only(type(current), current))
        if said.rstrip("\n").count("\n"):
            text = text.replace(said, escape_controls(said.rstrip("\n")) + "\n")
        context = None if current.__suppress_context__ else current.__context__
        current = current.__cause__ or context
    return "\n".join(escape_controls(line) for line in text.removesuffix("\n").split("\n"))


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (not a pipe, a file, or closed). Here, at
    the bottom: `run --once` asks before it loads :mod:`tracker.cli.screen`,
    which only a terminal needs."""
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # closed
        return False


def is_journal(stream: Any, environ: Mapping[str, str] | None = None) -> bool:
    """Given a stream, return True when it is the journal's (``$JOURNAL_STREAM``
    is ``DEVICE:INODE`` of the stream systemd connected to journald)."""
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    try:
        stat = os.fstat(stream.fileno())
        return (int(device), int(inode)) == (stat.st_dev, stat.st_ino)
    except (AttributeError, OSError, ValueError):
        return False  # no file descriptor (a test's StringIO), or a garbled variable

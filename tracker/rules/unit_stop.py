"""The stop timeout systemd gives the installed unit: its ``TimeoutStopSec=``
as the unit file and its drop-ins set it, read as systemd reads them (the
last assignment wins; ``TimeoutSec=`` sets it too; an empty one puts back the
default). What ``doctor``'s stop-budget line compares a stop's bound with;
the directories systemd looks in (:func:`search_paths`) and the files' text
are passed in or out, no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

# The shipped unit's TimeoutStopSec= (systemd/smm-tracker.service), also
# systemd's DefaultTimeoutStopSec=: what doctor assumes when no file says.
SHIPPED_STOP_TIMEOUT = 90.0

_SECONDS = {
    **dict.fromkeys(("us", "usec", "µs", "μs"), 1e-6),
    **dict.fromkeys(("ms", "msec"), 1e-3),
    **dict.fromkeys(("", "s", "sec", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
    **dict.fromkeys(("w", "week", "weeks"), 7 * 86400.0),
    **dict.fromkeys(("M", "month", "months"), 30.44 * 86400.0),
    **dict.fromkeys(("y", "year", "years"), 365.25 * 86400.0),
}
_PART = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([^\s0-9.]*)")
_STOP = ("TimeoutStopSec", "TimeoutSec")  # TimeoutSec=: start and stop alike

# For tests: the directories searched, in order, "a:b" (none when empty), in
# place of systemd's own search paths: a test never reads this machine's /etc.
UNIT_PATH_ENV = "SMM_TRACKER_UNIT_PATH"

# systemd's system unit search path, first found first (`systemd-analyze
# unit-paths`); /lib/systemd/system where /usr is split from /.
_SYSTEM = (
    "/etc/systemd/system.control",
    "/run/systemd/system.control",
    "/run/systemd/transient",
    "/run/systemd/generator.early",
    "/etc/systemd/system",
    "/etc/systemd/system.attached",
    "/run/systemd/system",
    "/run/systemd/system.attached",
    "/run/systemd/generator",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/run/systemd/generator.late",
)


def search_paths(env: Mapping[str, str]) -> list[list[Path]]:
    """Given the environment, return the directories systemd looks for units
    in, first found first: the system manager's, then the user manager's
    (``~/.config/systemd/user`` and the rest, as systemd.unit(5) lists them);
    only those of ``SMM_TRACKER_UNIT_PATH`` when it is set."""
    if UNIT_PATH_ENV in env:
        return [[Path(d) for d in env[UNIT_PATH_ENV].split(":") if d]]
    home = env.get("HOME", "")
    config = env.get("XDG_CONFIG_HOME") or (f"{home}/.config" if home else "")
    data = env.get("XDG_DATA_HOME") or (f"{home}/.local/share" if home else "")
    runtime = env.get("XDG_RUNTIME_DIR", "")
    config_dirs = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":")
    data_dirs = (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
    user = [
        *_under(config, "user.control"),
        *_under(runtime, "user.control", "transient", "generator.early"),
        *_under(config, "user"),
        *(d for base in config_dirs for d in _under(base, "user")),
        "/etc/systemd/user",
        *_under(runtime, "user"),
        "/run/systemd/user",
        *_under(runtime, "generator"),
        *_under(data, "user"),
        *(d for base in data_dirs for d in _under(base, "user")),
        "/usr/local/lib/systemd/user",
        "/usr/lib/systemd/user",
        *_under(runtime, "generator.late"),
    ]
    return [[Path(d) for d in _SYSTEM], [Path(d) for d in user]]


def _under(base: str, *names: str) -> list[str]:
    """Return base/systemd/NAME for each name; none when base is not known."""
    return [f"{base}/systemd/{name}" for name in names] if base else []


def timespan(text: str) -> float | None:
    """Given a systemd time span ("90", "90s", "1min 30s", "infinity"),
    return its seconds (math.inf for "infinity" and for 0, which turn the
    stop timeout off), or None when systemd would not read it (it ignores
    such an assignment)."""
    text = text.strip()
    if text == "infinity":
        return math.inf
    total, position = 0.0, 0
    while position < len(text):
        part = _PART.match(text, position)
        if part is None or part.end() == position or part.group(2) not in _SECONDS:
            return None
        total += float(part.group(1)) * _SECONDS[part.group(2)]
        position = part.end()
    if not text:
        return None
    return math.inf if total == 0 else total


def stop_timeout(files: Sequence[tuple[str, str]]) -> tuple[float, str | None]:
    """Given the unit file's and its drop-ins' (path, text), in the order
    systemd reads them, return the stop timeout in seconds and where it was
    set ("TimeoutStopSec= in PATH"), None for where: no file sets it (the
    shipped unit's 90 s)."""
    seconds, where = SHIPPED_STOP_TIMEOUT, None
    for path, text in files:
        section = ""
        for line in _lines(text):
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            name, equals, value = line.partition("=")
            if section != "Service" or not equals or name.strip() not in _STOP:
                continue
            if not value.strip():  # an empty assignment: back to the default
                seconds, where = SHIPPED_STOP_TIMEOUT, None
            elif (read := timespan(value)) is not None:
                seconds, where = read, f"{name.strip()}= in {path}"
    return seconds, where


def _lines(text: str) -> list[str]:
    """The unit file's lines as systemd reads them: a trailing backslash joins
    the next line, comments (# and ;) and blank lines dropped."""
    joined = re.sub(r"\\\n", " ", text)
    stripped = (line.strip() for line in joined.splitlines())
    return [line for line in stripped if line and line[0] not in "#;"]

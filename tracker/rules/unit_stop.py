"""The stop timeout systemd gives the installed unit: its ``TimeoutStopSec=``
as the unit file and its drop-ins set it, read as systemd reads them (the
last assignment wins; ``TimeoutSec=`` sets it too; one systemd cannot read,
an empty one included, is passed over), else the manager's
``DefaultTimeoutStopSec=`` (system.conf,
user.conf and their drop-ins: :func:`default_stop_timeout`). What
``doctor``'s stop-budget line compares a stop's bound with; the directories
systemd looks in (:func:`search_paths`, :func:`config_dirs`) and the files'
text are passed in or out, no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

# The shipped unit's TimeoutStopSec= (systemd/smm-tracker.service), also
# systemd's DefaultTimeoutStopSec= when no system.conf or user.conf sets it.
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
_DEFAULT_STOP = "DefaultTimeoutStopSec"

# For tests: the directories searched, in order, "a:b" (none when empty), in
# place of systemd's own search paths: a test never reads this machine's /etc.
# "a:b;c" names the user manager's after the ";" (a user unit's tests).
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
    only those of ``SMM_TRACKER_UNIT_PATH`` when it is set (the system
    manager's, then after a ";" the user manager's)."""
    if UNIT_PATH_ENV in env:
        managers = env[UNIT_PATH_ENV].split(";")
        return [[Path(d) for d in dirs.split(":") if d] for dirs in managers]
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


# Where the system manager reads system.conf and system.conf.d/, first found
# first (systemd-system.conf(5)); the user manager reads user.conf there too,
# after ~/.config/systemd. /lib/systemd where /usr is split from /.
_CONFIG = (
    "/etc/systemd",
    "/run/systemd",
    "/usr/local/lib/systemd",
    "/lib/systemd",
    "/usr/lib/systemd",
)
# Each manager's config file, in search_paths' order: the system's, the user's.
MANAGER_CONFIG = ("system.conf", "user.conf")


def config_dirs(
    env: Mapping[str, str], units: Sequence[Sequence[Path]] | None = None
) -> list[list[Path]]:
    """Given the environment and the unit directories a test passes in place
    of systemd's (None: none), return, per manager as :func:`search_paths`
    orders them, the directories holding its config file
    (:data:`MANAGER_CONFIG`) and its ``.conf.d`` drop-ins, first found first:
    those unit directories' parents when a test names them (passed, or
    ``SMM_TRACKER_UNIT_PATH``'s: a test never reads this machine's /etc),
    else systemd's own."""
    if units is None and UNIT_PATH_ENV in env:
        units = search_paths(env)
    if units is not None:
        return [list(dict.fromkeys(d.parent for d in dirs)) for dirs in units]
    home = env.get("HOME", "")
    config = env.get("XDG_CONFIG_HOME") or (f"{home}/.config" if home else "")
    system = [Path(d) for d in _CONFIG]
    return [system, [Path(config, "systemd")] + system if config else system]


def template_of(unit: str) -> str | None:
    """Given a unit's name, return its template's when it is an instance
    ("smm-tracker@shop2.service": "smm-tracker@.service"), else None."""
    prefix, at, rest = unit.partition("@")
    if not at or rest.startswith("."):
        return None
    return f"{prefix}@.{rest.rpartition('.')[2]}"


def drop_in_dirs(unit: str) -> tuple[str, ...]:
    """Given a unit's name, return the drop-in directories systemd reads for
    it, in its order (unit-file.c's unit_file_find_dirs): its own
    ``NAME.d``, its template's (an instance's: ``smm-tracker@.service.d``),
    those of its name cut after each dash (``smm-tracker-eu.service``:
    ``smm-tracker-.service.d``, then ``smm-.service.d``) and every
    service's, ``service.d``."""
    names = [unit, *filter(None, [template_of(unit)])]
    prefix = unit.partition("@")[0].removesuffix(".service")
    while (dash := prefix.rfind("-")) > 0:
        if prefix[dash + 1 :]:  # a dash ending it ("smm-.service"): no name of its own
            names.append(f"{prefix[: dash + 1]}.service")
        prefix = prefix[:dash]
    return (*(f"{name}.d" for name in dict.fromkeys(names)), "service.d")


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


def stop_timeout(
    files: Sequence[tuple[str, str]], default: float = SHIPPED_STOP_TIMEOUT
) -> tuple[float, str | None]:
    """Given the unit file's and its drop-ins' (path, text), in the order
    systemd reads them, and the manager's default stop timeout, return the
    stop timeout in seconds and where it was set ("TimeoutStopSec= in
    PATH"), None for where: no file sets it (the default). The last one read
    wins; one systemd cannot read is passed over, an empty one too: systemd
    parses ``TimeoutStopSec=`` and ``TimeoutSec=`` as a time span
    (load-fragment.c's config_parse_sec_fix_0, config_parse_service_timeout),
    which an empty string is not ("Failed to parse TimeoutStopSec=
    parameter, ignoring"), and keeps the value set before it: an empty
    value resets only where a setting says so (systemd.syntax(7))."""
    return _last_read(_assignments(files, "Service", _STOP), default)


def default_stop_timeout(files: Sequence[tuple[str, str]]) -> tuple[float, str | None]:
    """Given the manager's config file's and its drop-ins' (path, text), in
    the order systemd reads them, return its ``DefaultTimeoutStopSec=`` in
    seconds (0 and infinity: none) and where it was set
    ("DefaultTimeoutStopSec= in PATH"), None for where: no file sets it
    (systemd's own 90 s). The last one read wins; one systemd cannot read,
    an empty one included, is passed over, as systemd does. Nothing else
    sets it: the kernel's command line has systemd.default_timeout_start_sec=
    but no stop counterpart (src/core/main.c, parse_proc_cmdline_item)."""
    return _last_read(_assignments(files, "Manager", (_DEFAULT_STOP,)), SHIPPED_STOP_TIMEOUT)


def state_directories(files: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """Given the unit file's and its drop-ins' (path, text), in the order
    systemd reads them, return the directories its ``StateDirectory=``
    names under /var/lib ("smm-tracker"), which systemd creates at the
    unit's start: each assignment adds its space-separated names (a
    ``NAME:LINK`` its NAME), an empty one resets the list (systemd.exec)."""
    names: list[str] = []
    for _path, _name, value in _assignments(files, "Service", ("StateDirectory",)):
        said = [word.partition(":")[0].strip("/") for word in value.split()]
        names = [*names, *(name for name in said if name)] if said else []
    return tuple(dict.fromkeys(names))


def _last_read(
    assignments: Sequence[tuple[str, str, str]], default: float
) -> tuple[float, str | None]:
    """The seconds of the last assignment systemd can read and where it is
    ("NAME= in PATH"); (default, None) when there is none."""
    seconds, where = default, None
    for path, name, value in assignments:
        if (read := timespan(value)) is not None:
            seconds, where = read, f"{name}= in {path}"
    return seconds, where


def _assignments(
    files: Sequence[tuple[str, str]], section: str, names: Sequence[str]
) -> list[tuple[str, str, str]]:
    """The (path, name, value) of each assignment to one of names in the
    section, in the files' order and each file's."""
    found = []
    for path, text in files:
        current = ""
        for line in _lines(text):
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1]
                continue
            name, equals, value = line.partition("=")
            if current == section and equals and name.strip() in names:
                found.append((path, name.strip(), value))
    return found


def _lines(text: str) -> list[str]:
    """The unit file's lines as systemd reads them: a trailing backslash joins
    the next line, comments (# and ;) and blank lines dropped."""
    joined = re.sub(r"\\\n", " ", text)
    stripped = (line.strip() for line in joined.splitlines())
    return [line for line in stripped if line and line[0] not in "#;"]

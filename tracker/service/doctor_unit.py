"""The installed unit's files ``smm-tracker doctor`` reads for the stop
timeout systemd gives the daemon: ``smm-tracker.service`` where systemd finds
it first (``/etc/systemd/system``, ``/usr/lib/systemd/system``, a user unit in
``~/.config/systemd/user``, ...: :func:`tracker.rules.unit_stop.search_paths`)
and its drop-ins (``smm-tracker.service.d/*.conf`` in every directory of that
search path, in the order systemd reads them); :mod:`tracker.rules.unit_stop`
reads their text."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tracker.rules.unit_stop import SHIPPED_STOP_TIMEOUT, stop_timeout

UNIT = "smm-tracker.service"
# The drop-in directories systemd reads for it: its own, those of its name
# cut after a dash ("smm-.service.d"), and those of every service.
_DROP_IN_DIRS = (f"{UNIT}.d", "smm-.service.d", "service.d")


def unit_stop_timeout(search: Sequence[Sequence[Path]]) -> tuple[float, str]:
    """Given systemd's search paths (the system manager's, then the user
    manager's: each its directories, first found first), return the daemon's
    stop timeout in seconds and where it comes from: "TimeoutStopSec= in
    PATH", systemd's default left by the unit found, or the shipped unit's
    90 s when none is installed. A file that cannot be read is passed over."""
    for directories in search:
        distinct = _distinct(directories)
        unit = next((d / UNIT for d in distinct if os.path.lexists(d / UNIT)), None)
        if unit is None:  # not installed for this manager: the next one's
            continue
        files = []
        for path in [unit, *_drop_ins(distinct)]:
            try:
                files.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
            except OSError:  # unreadable, a directory: systemd reads no unit there either
                continue
        seconds, where = stop_timeout(files)
        return seconds, where or f"systemd's default, as {unit} and its drop-ins leave it"
    return SHIPPED_STOP_TIMEOUT, f"no {UNIT} installed: the shipped unit's"


def _distinct(directories: Sequence[Path]) -> list[Path]:
    """The directories as their real paths, each once, in order: /lib's and
    /usr/lib's where one links to the other are one directory."""
    seen: dict[Path, None] = {}
    for directory in directories:
        seen.setdefault(Path(os.path.realpath(directory)))
    return list(seen)


def _drop_ins(directories: Sequence[Path]) -> list[Path]:
    """The unit's drop-ins as systemd reads them: every ``*.conf`` in its
    drop-in directories, one of a name in an earlier directory hiding a later
    one's, in the order of their names."""
    chosen: dict[str, Path] = {}
    for directory in directories:
        for name in _DROP_IN_DIRS:
            try:
                entries = list((directory / name).iterdir())
            except OSError:  # none there (most)
                continue
            for path in entries:
                if path.name.endswith(".conf") and not path.name.startswith("."):
                    chosen.setdefault(path.name, path)
    return [chosen[name] for name in sorted(chosen)]

"""The installed unit's files ``smm-tracker doctor`` reads for the stop
timeout systemd gives the daemon: ``smm-tracker.service`` where systemd finds
it first (``/etc/systemd/system``, ``/usr/lib/systemd/system``, a user unit in
``~/.config/systemd/user``, ...: :func:`tracker.rules.unit_stop.search_paths`),
for the system manager and for the user's, each its own line; its drop-ins
(``smm-tracker.service.d/*.conf`` in every directory of that search path, in
the order systemd reads them); the manager's ``DefaultTimeoutStopSec=``
(``/etc/systemd/system.conf`` and ``system.conf.d/*.conf``, ``user.conf``:
:func:`tracker.rules.unit_stop.config_dirs`). A unit masked (a link to
/dev/null, an empty file) is said so, no stop timeout read; so is one that
is a dangling link (systemd cannot open it).
:mod:`tracker.rules.unit_stop` reads the files' text."""

from __future__ import annotations

import errno
import math
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from tracker.rules.doctor import Check
from tracker.rules.unit_doctor import (
    dangling_unit_check,
    masked_unit_check,
    stop_bound_check,
)
from tracker.rules.unit_stop import (
    MANAGER_CONFIG,
    SHIPPED_STOP_TIMEOUT,
    default_stop_timeout,
    stop_timeout,
)

UNIT = "smm-tracker.service"
# The drop-in directories systemd reads for it: its own, those of its name
# cut after a dash ("smm-.service.d"), and those of every service.
_DROP_IN_DIRS = (f"{UNIT}.d", "smm-.service.d", "service.d")


class Installed(NamedTuple):
    """A manager's smm-tracker.service as systemd finds it: the file (empty
    when none is installed anywhere: the shipped unit's stop timeout),
    whether it is the user manager's, how it is masked (None: not), its
    stop timeout and where that comes from; where it leads when it is a
    dangling link (None: it is not)."""

    unit: str
    user: bool
    masked: str | None
    seconds: float
    where: str
    dangling: str | None = None


def installed_units(
    search: Sequence[Sequence[Path]], configs: Sequence[Sequence[Path]]
) -> list[Installed]:
    """Given systemd's search paths (the system manager's, then the user
    manager's: each its directories, first found first) and each manager's
    config directories, return each manager's installed unit: its stop
    timeout and where it comes from ("TimeoutStopSec= in PATH", systemd's
    default as the unit leaves it, the manager's DefaultTimeoutStopSec=
    named where a file sets it), or how it is masked, or where it leads
    when it is a dangling link; the shipped unit's 90 s when none is
    installed."""
    found = []
    for index, directories in enumerate(search):
        distinct = _distinct(directories)
        unit = next((d / UNIT for d in distinct if os.path.lexists(d / UNIT)), None)
        if unit is None:  # not installed for this manager
            continue
        if (how := _masked(unit)) is not None:
            found.append(Installed(str(unit), index > 0, how, math.inf, "masked"))
            continue
        if (target := _dangling(unit)) is not None:  # systemd cannot open it
            found.append(Installed(str(unit), index > 0, None, math.inf, "dangling", target))
            continue
        default, set_in = default_stop_timeout(_manager_files(configs[index], index))
        seconds, where = stop_timeout(_read([unit, *_drop_ins(distinct, _DROP_IN_DIRS)]), default)
        said = f", {set_in}" if set_in else ""
        where = where or f"systemd's default{said}, as {unit} and its drop-ins leave it"
        found.append(Installed(str(unit), index > 0, None, seconds, where))
    shipped = f"no {UNIT} installed: the shipped unit's"
    return found or [Installed("", False, None, SHIPPED_STOP_TIMEOUT, shipped)]


def unit_checks(
    bound: tuple[dict[str, float], float, float],
    search: Sequence[Sequence[Path]],
    configs: Sequence[Sequence[Path]],
) -> list[Check]:
    """Given what bounds a stop (each panel's timeout, database.busy_timeout,
    the queued alerts' wait: :func:`stop_bound_check`'s), systemd's search
    paths and each manager's config directories, return the lines of every
    installed unit (:func:`installed_units`), each naming its file: a masked
    one's warning, a dangling link's, or the stop-budget warning when a stop
    may outlast it."""
    checks: list[Check | None] = []
    for unit in installed_units(search, configs):
        if unit.masked is not None:
            checks.append(masked_unit_check(unit.unit, unit.masked, unit.user))
        elif unit.dangling is not None:
            checks.append(dangling_unit_check(unit.unit, unit.dangling, unit.user))
        else:
            checks.append(stop_bound_check(*bound, (unit.seconds, unit.where)))
    return [check for check in checks if check is not None]


def _masked(unit: Path) -> str | None:
    """How the unit file masks the unit, as systemd reads it (a device, a
    link to /dev/null most often, or an empty file), else None."""
    try:
        status = unit.stat()
    except OSError:  # a dangling link (:func:`_dangling`), unreadable
        return None
    if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode):
        return f"a link to {os.path.realpath(unit)}"
    if stat.S_ISREG(status.st_mode) and status.st_size == 0:
        return "an empty file"
    return None


def _dangling(unit: Path) -> str | None:
    """Where the unit file leads when it is a symbolic link to nothing (a
    missing file, or a missing directory on its way), else None. systemd
    finds such a link first in its search path, fails to open it ("Failed
    to open ...: No such file or directory") and takes the unit as not
    found: a unit of that name in a later directory is not read."""
    try:
        os.stat(unit)
    except OSError as exc:
        if unit.is_symlink() and exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return os.path.realpath(unit)
    return None


def _manager_files(directories: Sequence[Path], index: int) -> list[tuple[str, str]]:
    """The manager's config (system.conf, user.conf) as systemd reads it: the
    first file found, then the drop-ins of every ``.conf.d`` directory."""
    name = MANAGER_CONFIG[min(index, len(MANAGER_CONFIG) - 1)]
    distinct = _distinct(directories)
    main = next((d / name for d in distinct if os.path.lexists(d / name)), None)
    return _read([*([main] if main else []), *_drop_ins(distinct, (f"{name}.d",))])


def _read(paths: Sequence[Path]) -> list[tuple[str, str]]:
    """Each file's (path, text); a file that cannot be read is passed over."""
    files = []
    for path in paths:
        try:
            files.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
        except OSError:  # unreadable, a directory: systemd reads nothing there either
            continue
    return files


def _distinct(directories: Sequence[Path]) -> list[Path]:
    """The directories as their real paths, each once, in order: /lib's and
    /usr/lib's where one links to the other are one directory."""
    seen: dict[Path, None] = {}
    for directory in directories:
        seen.setdefault(Path(os.path.realpath(directory)))
    return list(seen)


def _drop_ins(directories: Sequence[Path], names: Sequence[str]) -> list[Path]:
    """The drop-ins as systemd reads them: every ``*.conf`` in the drop-in
    directories of those names, one of a name in an earlier directory hiding
    a later one's, in the order of their names."""
    chosen: dict[str, Path] = {}
    for directory in directories:
        for name in names:
            try:
                entries = list((directory / name).iterdir())
            except OSError:  # none there (most)
                continue
            for path in entries:
                if path.name.endswith(".conf") and not path.name.startswith("."):
                    chosen.setdefault(path.name, path)
    return [chosen[name] for name in sorted(chosen)]

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
is a dangling link or a link loop, a directory (systemd cannot open or read
it), or a file this user cannot read; a link systemd rejects as an alias is
passed over, as systemd does, and said. With a daemon running on the
config's database, the unit that runs it alone
(:func:`tracker.service.daemon_unit.unit_running`: an instance,
``smm-tracker@shop2.service``, its file its own or its template's, its
drop-ins its own and its template's: :func:`tracker.rules.unit_stop.drop_in_dirs`).
:mod:`tracker.service.unit_files` finds and opens the files,
:mod:`tracker.rules.unit_stop` reads their text."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from tracker.rules.doctor import Check
from tracker.rules.secret_files import TEMPLATE
from tracker.rules.unit_doctor import (
    dangling_unit_check,
    masked_unit_check,
    rejected_alias_check,
    stop_bound_check,
    unopenable_unit_check,
    unreadable_unit_check,
)
from tracker.rules.unit_stop import (
    MANAGER_CONFIG,
    SHIPPED_STOP_TIMEOUT,
    default_stop_timeout,
    drop_in_dirs,
    search_paths,
    state_directories,
    stop_timeout,
)
from tracker.service.unit_files import (
    UNIT,
    dangling,
    drop_ins,
    first_unit,
    masked,
    read_files,
    real_dirs,
    unreadable,
)


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
    # Why systemd cannot read it ("loop", "directory", "unreadable: WHY",
    # "rejected": an alias it passes over, none read after), None: it can.
    fault: str | None = None
    # The links systemd passed over before it, rejected as aliases: (link, target).
    passed_over: tuple[tuple[str, str], ...] = ()
    # The unit's name: smm-tracker.service, or the one that runs the daemon.
    name: str = UNIT


def installed_units(
    search: Sequence[Sequence[Path]],
    configs: Sequence[Sequence[Path]],
    running: tuple[bool, str] | None = None,
) -> list[Installed]:
    """Given systemd's search paths (the system manager's, then the user
    manager's: each its directories, first found first), each manager's
    config directories and the unit that runs the daemon now (``running``:
    whether the user manager's, its name,
    :func:`tracker.service.daemon_unit.unit_running`; None: none runs),
    return each manager's installed unit: its stop timeout and where it
    comes from ("TimeoutStopSec= in PATH", systemd's default as the unit
    leaves it, the manager's DefaultTimeoutStopSec= named where a file sets
    it), or how it is masked, or where it leads when it is a dangling link;
    the shipped unit's 90 s when none is installed. With ``running``, that
    unit alone, as its manager finds it (an instance's file its template's,
    its drop-ins its own and its template's)."""
    if running is None:
        managers = [(index, UNIT) for index in range(len(search))]
    else:
        managers = [(int(running[0]), running[1])]
    found = []
    for index, name in managers:
        directories = search[index] if index < len(search) else []
        config = configs[index] if index < len(configs) else []
        unit = _installed(directories, config, index, name)
        if unit is not None:
            found.append(unit)
    if running is not None and not found:  # a unit of no file found: systemd's default
        name, index = running[1], int(running[0])
        config = configs[index] if index < len(configs) else []
        default, set_in = default_stop_timeout(_manager_files(config, index))
        said = f", {set_in}" if set_in else ""
        where = f"{name}, which runs the daemon, no file of it found: systemd's default{said}"
        return [Installed("", running[0], None, default, where, name=name)]
    shipped = f"no {UNIT} installed: the shipped unit's"
    return found or [Installed("", False, None, SHIPPED_STOP_TIMEOUT, shipped)]


def _installed(
    directories: Sequence[Path], config: Sequence[Path], index: int, name: str
) -> Installed | None:
    """The unit of that name as the manager (``index``: 0 the system's, 1
    the user's) finds it in its directories (None: not installed), its
    stop timeout read with the manager's config directories'."""
    distinct = real_dirs(directories)
    unit, passed = first_unit(distinct, [*directories, *distinct], name)
    user = index > 0
    if unit is None and passed:  # only links systemd rejects: the unit is not found
        return Installed(passed[-1][0], user, None, math.inf, "", None, "rejected", passed, name)
    if unit is None:  # not installed for this manager
        return None
    if (how := masked(unit)) is not None:
        return Installed(str(unit), user, how, math.inf, "masked", None, None, passed, name)
    if (target := dangling(unit)) is not None:  # systemd cannot open it
        return Installed(str(unit), user, None, math.inf, "", target, None, passed, name)
    if (fault := unreadable(unit)) is not None:
        return Installed(str(unit), user, None, math.inf, "", None, fault, passed, name)
    default, set_in = default_stop_timeout(_manager_files(config, index))
    files = read_files([unit, *drop_ins(distinct, drop_in_dirs(name))])
    seconds, where = stop_timeout(files, default)
    said = f", {set_in}" if set_in else ""
    where = where or f"systemd's default{said}, as {unit} and its drop-ins leave it"
    if name != UNIT:  # an instance, a copy: named, its file may be its template's
        where = f"{name}, which runs the daemon: {where}"
    return Installed(str(unit), user, None, seconds, where, None, None, passed, name)


def unit_manager(search: Sequence[Sequence[Path]]) -> str:
    """Given systemd's search paths (the system manager's, then the user
    manager's), return which has a smm-tracker.service in them that it can
    start: "system", "user", "both" or "none" (what restarts the daemon a
    fixed key needs). The unit systemd finds first masked, a dangling
    link, a link loop, a directory or a file its manager cannot read is
    not one: ``systemctl restart`` fails on it."""
    found = [_startable(dirs, index > 0) for index, dirs in enumerate(search)]
    system, user = (found + [False, False])[:2]
    return {(True, True): "both", (True, False): "system", (False, True): "user"}.get(
        (system, user), "none"
    )


def installed_state(search: Sequence[Sequence[Path]]) -> tuple[str, tuple[str, ...]] | None:
    """Given systemd's search paths (the system manager's first), return the
    smm-tracker.service the system manager finds first (its file) and the
    directories its ``StateDirectory=`` names (its drop-ins read too),
    which systemd creates at its first start; None when none is installed,
    or it is masked, a dangling link or a file systemd cannot read."""
    system = search[0] if search else []
    distinct = real_dirs(system)
    unit, _passed = first_unit(distinct, [*system, *distinct])
    if unit is None or masked(unit) or dangling(unit) or unreadable(unit):
        return None
    files = read_files([unit, *drop_ins(distinct, drop_in_dirs(UNIT))])
    return str(unit), state_directories(files)


def template_installed(search: Sequence[Sequence[Path]]) -> bool:
    """Given systemd's search paths (the system manager's first), return
    whether the system manager finds the shipped template unit
    (smm-tracker@.service), whose instances read /etc/smm-tracker/NAME.toml."""
    system = search[0] if search else []
    return any((directory / TEMPLATE).exists() for directory in system)


def _startable(directories: Sequence[Path], user: bool) -> bool:
    """Whether the smm-tracker.service systemd finds first in the
    directories (the user manager's: ``user``) can be started: neither
    masked nor a dangling link, and one systemd can read
    (:func:`systemd_reads`)."""
    distinct = real_dirs(directories)
    unit, _ = first_unit(distinct, [*directories, *distinct])
    if unit is None or masked(unit) is not None or dangling(unit) is not None:
        return False
    return systemd_reads(unreadable(unit), user)


def systemd_reads(fault: str | None, user: bool) -> bool:
    """Given why a unit file cannot be read as one (:func:`unreadable`'s
    "loop", "directory", "unreadable: WHY"; None: it can) and whether it is
    the user manager's, return whether its manager loads it all the same:
    only a file this user cannot open, the system manager's (root reads
    it), doctor not run as root."""
    if fault is None:
        return True
    return fault.startswith("unreadable: ") and not user and os.geteuid() != 0


def not_loaded(units: Sequence[Installed]) -> tuple[str, str] | None:
    """Given the installed units, return the first file systemd finds but
    cannot load (a link loop, a directory, one its manager cannot read) and
    why (:func:`unreadable`'s); None: none."""
    return next(
        (
            (u.unit, u.fault)
            for u in units
            if u.fault not in (None, "rejected") and not systemd_reads(u.fault, u.user)
        ),
        None,
    )


def installed_manager(env: Mapping[str, str]) -> str:
    """Given the environment, return which systemd manager has a
    smm-tracker.service installed (:func:`unit_manager` of systemd's search
    paths): what the notes of ``orders``, ``balance`` and a migration left
    to the daemon say restarts or reloads it, as ``doctor`` says it."""
    return unit_manager(search_paths(env))


def unit_checks(
    bound: tuple[dict[str, float], float, float, tuple[str, ...]],
    search: Sequence[Sequence[Path]],
    configs: Sequence[Sequence[Path]],
    running: tuple[bool, str] | None = None,
) -> list[Check]:
    """Given what bounds a stop (each panel's timeout, database.busy_timeout,
    the queued alerts' wait, the calls that may act the daemon sends:
    :func:`stop_bound_check`'s), systemd's search
    paths, each manager's config directories and the unit that runs the
    daemon now (None: none runs), return the lines of every installed unit,
    or of that one (:func:`installed_units`), each naming its file: a
    masked one's warning, a dangling link's, or the stop-budget warning when
    a stop may outlast it."""
    checks: list[Check | None] = []
    for unit in installed_units(search, configs, running):
        user, name = unit.user, unit.name
        instead = None if unit.fault == "rejected" else unit.unit  # none found: not found
        for link, target in unit.passed_over:
            checks.append(rejected_alias_check(link, target, instead, user, name))
        if unit.fault == "rejected":
            continue
        if unit.masked is not None:
            checks.append(masked_unit_check(unit.unit, unit.masked, user, name))
        elif unit.dangling is not None:
            checks.append(dangling_unit_check(unit.unit, unit.dangling, user, name))
        elif unit.fault is not None and unit.fault.startswith("unreadable: "):
            reason = unit.fault.partition(": ")[2]
            root = os.geteuid() == 0
            checks.append(unreadable_unit_check(unit.unit, reason, user, root, name))
        elif unit.fault is not None:
            checks.append(unopenable_unit_check(unit.unit, unit.fault, user, name))
        else:
            timeouts, busy, wait, acting = bound
            checks.append(
                stop_bound_check(timeouts, busy, wait, (unit.seconds, unit.where), acting)
            )
    return [check for check in checks if check is not None]


def _manager_files(directories: Sequence[Path], index: int) -> list[tuple[str, str]]:
    """The manager's config (system.conf, user.conf) as systemd reads it: the
    first file found, then the drop-ins of every ``.conf.d`` directory."""
    name = MANAGER_CONFIG[min(index, len(MANAGER_CONFIG) - 1)]
    distinct = real_dirs(directories)
    main = next((d / name for d in distinct if os.path.lexists(d / name)), None)
    return read_files([*([main] if main else []), *drop_ins(distinct, (f"{name}.d",))])

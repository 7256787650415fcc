"""What a command's note says reloads or restarts the daemon, fitting what
runs the daemon on the database now, as its own ``auth_failed`` says it:
the unit whose cgroup its PID (in the lock file it holds) runs in, the
system manager's systemctl or the user manager's (``systemctl --user``),
of that unit by its name (an instance, ``smm-tracker@shop2``, a copy),
and for a ``run`` in a terminal or tmux, ``smm-tracker run`` where it
runs, "not `systemctl`" when a unit is installed beside it
(:mod:`tracker.service.daemon_unit`). With no daemon running, the
smm-tracker.service installed, as ``doctor`` finds it: both managers
named when both are installed, and with none (or one masked, a
dangling link, a link loop, a directory, a file its manager cannot read),
``smm-tracker run`` where it runs. A refused key's fix in the notes of
``orders`` and ``balance``; the restart a migration is left to
(:mod:`tracker.cli.database`). The lock, the cgroup and the unit files
are looked for only when such a note is said: the reads print none most
often.
"""

from __future__ import annotations

import os
from pathlib import Path


def installed() -> str:
    """Which systemd manager has a smm-tracker.service installed: "system",
    "user", "both" or "none" (:func:`tracker.service.doctor_unit.unit_manager`)."""
    from tracker.service.doctor_unit import installed_manager

    return installed_manager(os.environ)


def refused_key_fix(place: str | None, database: Path | None = None) -> str:
    """Given where a refused key is set (:func:`tracker.cli.listing.key_places`'
    value) and the database (None: not known), return what fixes it, as
    ``doctor`` says it: the key there, then what has the daemon running on
    the database take it (:func:`tracker.rules.not_answering.key_fix`)."""
    from tracker.rules.not_answering import key_fix
    from tracker.service.daemon_unit import daemon_manager

    return key_fix(place, daemon_manager(database, os.environ, installed()))


def daemon_restart(pid: int | None) -> str:
    """Given the PID of the daemon that holds the database (None: not known),
    return what restarts it: :func:`tracker.rules.not_answering.daemon_restart`
    of what runs it, a masked unit, a dangling link, a link loop, a directory
    or a unit file its manager cannot read named as such."""
    from tracker.rules.not_answering import daemon_restart as restart
    from tracker.rules.unit_stop import config_dirs, search_paths
    from tracker.service.daemon_unit import pid_manager
    from tracker.service.doctor_unit import installed_units, not_loaded

    manager = pid_manager(pid, os.environ, installed())
    masked: str | None = None
    dangling: tuple[str, str] | None = None
    fault: tuple[str, str] | None = None
    if manager == "none":  # one masked, dangling, unloadable is none to restart, and said so
        units = installed_units(search_paths(os.environ), config_dirs(os.environ))
        masked = next((unit.unit for unit in units if unit.masked is not None), None)
        dangling = next(((u.unit, u.dangling) for u in units if u.dangling is not None), None)
        fault = not_loaded(units)
    return restart(manager, masked, dangling, fault)

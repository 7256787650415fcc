"""What restarts or reloads the daemon running on a database now, for the
notes of ``orders``, ``balance``, a migration left to the daemon
(:mod:`tracker.cli.unit_notes`), doctor's refused-key line and its unit
lines (:func:`unit_running`: the unit whose file doctor reads): the daemon's
PID, which it writes in the lock file it holds (:func:`tracker.service.lock_seen.holding`),
and that process's cgroup (``/proc/PID/cgroup``), read by the rule the
daemon's own ``auth_failed`` goes by
(:func:`tracker.rules.unit_runs.running_manager`: the unit named, an
instance ``smm-tracker@shop2.service`` too): a ``run`` in a terminal
or tmux beside an installed unit is "apart", not the unit's. With no daemon
running (none, or a ``run --once`` holding the lock), or its cgroup not
read (no /proc), the unit installed, as before. Its ``$INVOCATION_ID``
(``/proc/PID/environ``) tells a unit not named smm-tracker's running it from
one whose process started it with an environment of its own (cron's).
``SMM_TRACKER_PROC`` names a directory read instead of ``/proc``
(``DIR/PID/cgroup``, ``DIR/PID/environ``; empty: none read):
for tests, which never read this machine's."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tracker.rules.unit_runs import UNIT, running_manager
from tracker.service.lock_holder import ONCE
from tracker.service.lock_seen import holding

PROC_ENV = "SMM_TRACKER_PROC"


def read_cgroup(path: Path) -> str | None:
    """Given a process's ``/proc/PID/cgroup``, return its text; None when it
    cannot be read (not Linux, no /proc, the process gone)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def read_invocation(path: Path) -> str | None:
    """Given a process's ``/proc/PID/environ``, return its ``$INVOCATION_ID``
    ("": not set); None when it cannot be read (another user's process: a
    ``DynamicUser=`` daemon's to all but root). Nothing else of it is kept:
    it may hold an API key (``key_env``)."""
    try:
        environ = path.read_bytes()
    except OSError:
        return None
    for item in environ.split(b"\0"):
        if item.startswith(b"INVOCATION_ID="):
            return item.partition(b"=")[2].decode("ascii", errors="replace")
    return ""


def pid_manager(pid: int | None, env: Mapping[str, str], installed: str) -> str:
    """Given the PID of the daemon running (None: not known), the environment
    and which manager has a smm-tracker.service installed (``installed``:
    :func:`tracker.service.doctor_unit.installed_manager`'s), return what
    restarts or reloads that daemon (:func:`running_manager` of its cgroup
    and its ``$INVOCATION_ID``); ``installed`` when its cgroup cannot be read."""
    proc = env.get(PROC_ENV, "/proc")  # set empty: none read (the tests' default)
    if pid is None or not proc:
        return installed
    cgroup = read_cgroup(Path(proc, str(pid), "cgroup"))
    if cgroup is None:
        return installed
    invocation = read_invocation(Path(proc, str(pid), "environ"))
    return running_manager(cgroup, invocation, installed)


def daemon_manager(database: Path | None, env: Mapping[str, str], installed: str) -> str:
    """Given the database path (None: not known), the environment and which
    manager has a smm-tracker.service installed, return what restarts or
    reloads the daemon running on it now (:func:`pid_manager` of the PID in
    its lock file); ``installed`` with none running, or a ``run --once``."""
    found = holding(database) if database is not None else None
    if found is None or found[1] == ONCE:
        return installed
    return pid_manager(found[0], env, installed)


def unit_running(database: Path, env: Mapping[str, str]) -> tuple[bool, str] | None:
    """Given the database path and the environment, return the unit that
    runs the daemon running on it now, by the rule of :func:`daemon_manager`
    (the PID in its lock file, that process's cgroup): whether it is the
    user manager's, and its name ("smm-tracker@shop2.service"); None when
    none runs (or a ``run --once``), its cgroup cannot be read, or no unit
    runs it (a ``run`` in a terminal): doctor checks the units installed."""
    manager = daemon_manager(database, env, "none")  # "none": no unit runs it
    if manager in ("none", "apart"):
        return None
    where, _, unit = manager.partition(":")
    return where == "user", unit or UNIT

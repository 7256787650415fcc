"""What a refused key's note says has the daemon take a key fixed where the
config sets it (``orders``, ``balance``, ``doctor``): a reload reads the
config again (a ``key`` written in it); the daemon's environment and a key
file systemd hands over (``LoadCredential=``) are its start's, so a restart.
Reload, said for all three, left the daemon on the old key for ``key_env``
and ``key_file``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TAKEN = {
    "key_env": "`systemctl restart smm-tracker` (its environment, the unit's or its "
    "EnvironmentFile's, is read at its start only)",
    "key_file": "`systemctl restart smm-tracker` (a key file the unit hands over with "
    "LoadCredential= is copied at its start only)",
    "key": "`systemctl reload smm-tracker` (the daemon reads it again)",
}


def install_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *managers: str) -> None:
    """A smm-tracker.service installed for each manager named ("system",
    "user"), in temporary directories standing in for systemd's: those of
    SMM_TRACKER_UNIT_PATH, the system manager's, then after ";" the user's."""
    directories = []
    for manager in ("system", "user"):
        directory = tmp_path / "units" / manager
        directory.mkdir(parents=True, exist_ok=True)
        if manager in managers:
            (directory / "smm-tracker.service").write_text("[Service]\n")
        directories.append(str(directory))
    monkeypatch.setenv("SMM_TRACKER_UNIT_PATH", ";".join(directories))


# /proc/self/cgroup of a daemon the system unit runs, the user unit, a terminal's.
SYSTEM_CGROUP = "0::/system.slice/smm-tracker.service\n"
USER_CGROUP = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/smm-tracker.service\n"
TERMINAL_CGROUP = "0::/user.slice/user-1000.slice/session-3.scope\n"


def run_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cgroup: str | None) -> None:
    """The daemon's ``/proc/self/cgroup`` reads ``cgroup`` (None: it cannot
    be read), no ``$INVOCATION_ID`` set unless the test sets one."""
    from tracker.service import process

    path = tmp_path / "cgroup"
    if cgroup is not None:
        path.write_text(cgroup)
    monkeypatch.setattr(process, "CGROUP", path, raising=False)
    monkeypatch.delenv("INVOCATION_ID", raising=False)


def daemon_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cgroup: str | None) -> None:
    """The daemon holding a database's lock (a test's ``DatabaseLock``: this
    process's PID) reads ``cgroup`` as its ``/proc/PID/cgroup`` (None: none to
    read), in the directory ``SMM_TRACKER_PROC`` names in place of /proc."""
    pid = tmp_path / "proc" / str(os.getpid())
    pid.mkdir(parents=True, exist_ok=True)
    if cgroup is not None:
        (pid / "cgroup").write_text(cgroup)
    monkeypatch.setenv("SMM_TRACKER_PROC", str(tmp_path / "proc"))

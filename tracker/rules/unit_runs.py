"""Which systemd manager runs this daemon, if one does: what its
``auth_failed`` alert names to restart or reload it. systemd puts a
service's processes in a cgroup named after its unit (``/proc/self/cgroup``:
``0::/system.slice/smm-tracker.service``; a user unit's under
``user@UID.service``) and sets ``$INVOCATION_ID`` for them. A unit
installed does not make a ``run`` started in a terminal or tmux its own:
``systemctl`` there would start a second daemon, not restart this one. A
daemon another unit runs (an instance of a template,
``smm-tracker@shop2.service``, a renamed copy, ``smm-tracker-eu.service``,
any unit, ``myapp.service``) is that unit's: "system:UNIT" or "user:UNIT"
names it (:func:`tracker.rules.not_answering.key_taken` says its
systemctl). Pure.
"""

from __future__ import annotations

UNIT = "smm-tracker.service"


def cgroup_path(text: str) -> str | None:
    """Given ``/proc/self/cgroup``'s text, return the process's cgroup:
    systemd's own hierarchy's on cgroup v1 (``N:name=systemd:PATH``; a
    legacy set-up lists ``0::/`` too, no unit in it), else the unified
    hierarchy's (``0::PATH``); None when neither is listed."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        controllers, sep, path = line.partition(":")[2].partition(":")
        if sep and controllers in ("", "name=systemd"):
            found.setdefault(controllers, path)
    return found.get("name=systemd", found.get(""))


def unit_in(path: str) -> str | None:
    """Given a process's cgroup path, return the unit it runs in: the last
    part when it is a service's ("smm-tracker@shop2.service"), not the user
    manager's own (``user@1000.service``); None (a scope: a terminal, tmux,
    a login session) otherwise."""
    last = path.rsplit("/", 1)[-1]
    if not last.endswith(".service") or last.startswith("user@"):
        return None
    return last


def running_manager(cgroup: str | None, invocation: str | None, installed: str) -> str:
    """Given the process's ``/proc/self/cgroup`` (None: not read), its
    ``$INVOCATION_ID`` ("": not set; None: not known) and which manager has a
    smm-tracker.service installed (``installed``: "system", "user",
    "both", "none"), return what restarts or reloads this daemon, as
    :func:`tracker.rules.not_answering.key_taken`'s ``manager``: "system"
    or "user" when its cgroup is smm-tracker.service's (the user manager's
    under ``user@UID.service``), "system:UNIT" or "user:UNIT" when it is
    another unit's (:func:`unit_in`), unless that unit's name is not
    smm-tracker's and no ``$INVOCATION_ID`` is set: a process that unit's
    started with an environment of its own (cron.service's jobs), not
    systemd; ``installed`` when the cgroup is not known but systemd started
    it; otherwise "none" with no unit installed, and "apart" with one
    installed that does not run it."""
    path = cgroup_path(cgroup) if cgroup is not None else None
    if path is not None:
        parts = path.split("/")
        unit = unit_in(path)
        if unit is not None and invocation == "" and not unit.startswith("smm-tracker"):
            unit = None  # a `run` cron's @reboot started: `systemctl restart cron` is no restart
        if unit is not None:
            under_user = any(p.startswith("user@") and p.endswith(".service") for p in parts[:-1])
            manager = "user" if under_user else "system"
            return manager if unit == UNIT else f"{manager}:{unit}"
    elif invocation:
        return installed
    return "none" if installed == "none" else "apart"

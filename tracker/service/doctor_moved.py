"""``smm-tracker doctor``'s look for a daemon running with the config it
reads but on another database: a reload that changed ``database.path``
fails ("restart to use another database"), and the daemon goes on writing
the file it started on until restarted, while doctor reads the new path.

What the daemon leaves readable, no network call: its command line
(``/proc/PID/cmdline``: a ``run``, not ``run --once``, and its ``--config``,
a relative one read from its working directory, ``/proc/PID/cwd``; without
one ``$SMM_TRACKER_CONFIG`` of its ``/proc/PID/environ``, nothing else of it
kept, or the search's ``./tracker.toml`` there, then
``/etc/smm-tracker/config.toml``) and the lock files it holds open
(``/proc/PID/fd``), each of which it wrote its PID and ``run`` in
(:func:`tracker.service.lock_seen.holding`). Another user's daemon (the
shipped unit's ``DynamicUser=``) shows its open files to root alone: run
as that user, doctor says nothing of it. ``SMM_TRACKER_PROC`` names a
directory read instead of ``/proc`` (empty: none read), as
:mod:`tracker.service.daemon_unit` reads it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tracker.config.load import ENV_VAR, LOCAL_CONFIG, SYSTEM_CONFIG
from tracker.service.daemon_unit import PROC_ENV
from tracker.service.lock_holder import DAEMON
from tracker.service.lock_seen import holding, lock_path

_LOCK = ".lock"


def daemons_elsewhere(
    config: Path, database: Path, env: Mapping[str, str]
) -> list[tuple[int, Path]]:
    """Given the config file doctor reads, its ``database.path`` and the
    environment, return (PID, database) of each daemon running with that
    config on another database, lowest PID first; none while a daemon holds
    ``database`` itself, or when ``/proc`` cannot be read."""
    proc = env.get(PROC_ENV, "/proc")
    if not proc or str(database) == ":memory:":
        return []
    found = holding(database)
    if found is not None and found[1] == DAEMON:  # the daemon runs on it: nothing moved
        return []
    try:
        pids = sorted(int(name) for name in os.listdir(proc) if name.isdigit())
    except OSError:
        return []
    here = str(lock_path(database))
    elsewhere = []
    for pid in pids:
        base = Path(proc, str(pid))
        argv = _argv(base / "cmdline")
        if "run" not in argv or "--once" in argv:
            continue
        named = _config_of(argv, base)
        if named is None or not _same_file(named, config):
            continue
        held = _held_lock(base / "fd", pid)
        if held is not None and held != here:
            elsewhere.append((pid, Path(held.removesuffix(_LOCK))))
    return elsewhere


def _argv(cmdline: Path) -> list[str]:
    """A process's arguments ([]: gone, or not to be read)."""
    try:
        raw = cmdline.read_bytes()
    except OSError:
        return []
    return [word.decode("utf-8", "replace") for word in raw.split(b"\0")[:-1]]


def _config_of(argv: list[str], base: Path) -> Path | None:
    """The config file a ``run`` of ``argv`` read, as :func:`find_config_path`
    found it at its start (None: not known)."""
    named = None
    for index, word in enumerate(argv):
        if word == "--config" and index + 1 < len(argv):
            named = argv[index + 1]
        elif word.startswith("--config="):
            named = word.partition("=")[2]
    if named is None:
        named = _variable(base / "environ")
    cwd = _link(base / "cwd")
    if named:
        path = Path(named)
        if path.is_absolute():
            return path
        return None if cwd is None else Path(cwd, path)
    if cwd is not None and Path(cwd, LOCAL_CONFIG).is_file():
        return Path(cwd, LOCAL_CONFIG)
    return SYSTEM_CONFIG


def _variable(environ: Path) -> str | None:
    """``$SMM_TRACKER_CONFIG`` of a process's environment (None: not set,
    or not to be read); nothing else of it is kept: it may hold a key."""
    try:
        items = environ.read_bytes().split(b"\0")
    except OSError:
        return None
    prefix = f"{ENV_VAR}=".encode()
    for item in items:
        if item.startswith(prefix):
            return item[len(prefix) :].decode("utf-8", "replace") or None
    return None


def _link(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one gone: by the names
        return os.path.realpath(one) == os.path.realpath(other)


def _held_lock(fds: Path, pid: int) -> str | None:
    """The lock file of a database that ``pid`` holds as a daemon: one of
    its open files, named ``<database>.lock``, in which the lock's holder
    wrote this PID and ``run`` (None: none, or its files not to be read)."""
    try:
        names = os.listdir(fds)
    except OSError:
        return None
    for name in names:
        target = _link(fds / name)
        if target is None or not target.startswith("/") or not target.endswith(_LOCK):
            continue
        found = holding(Path(target.removesuffix(_LOCK)))
        if found is not None and found == (pid, DAEMON):
            return target
    return None

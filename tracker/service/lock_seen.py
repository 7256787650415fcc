"""A database's lock as the others see it: the lock file's path, who holds
it, and what a run turned away is told.

The holder of ``lock.py``'s lock writes its PID and what it is (``run`` or
``run --once``) in the lock file, so a run turned away says which and what
to do: wait for a ``run --once`` (cron's runs overlapping) to end, stop a
daemon. A read command looks (:func:`holding`) without ever creating the
lock file or keeping a lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import NamedTuple

from tracker.service.lock_holder import DAEMON, ONCE, Said, holder_of, read_holder, read_said


def lock_path(database: Path) -> Path:
    """Given the database path, return its lock file: a sibling of the real file
    (symlinks resolved) named ``<db>.lock``, so every path to one database
    takes one lock."""
    real = Path(os.path.realpath(database))
    return real.with_name(real.name + ".lock")


class Seen(NamedTuple):
    """A run holding a database, as :func:`seen` finds it: its PID, its
    command (:data:`ONCE` or :data:`DAEMON`; None: not known) and what its
    lock file says of it beyond (:class:`Said`: its panel and config)."""

    pid: int | None
    command: str | None
    said: Said = Said()


def holding(database: Path) -> tuple[int | None, str | None] | None:
    """Given a database path, return what the holder of its lock recorded
    while a ``run`` holds it: its PID and :data:`ONCE` or :data:`DAEMON`
    (None: not known); None when no run holds it. Never creates the lock
    file; the shared lock it takes to look is let go at once. A run through
    another name of the file (a hard link: its lock file beside that name)
    is found by the file's own flock (:func:`holder_of`)."""
    found = seen(database)
    return None if found is None else (found.pid, found.command)


def seen(database: Path) -> Seen | None:
    """As :func:`holding`, with what the lock file says of the run beyond
    (nothing when found by the database file's flock alone)."""
    if str(database) == ":memory:":
        return None
    with contextlib.suppress(OSError):  # no lock file (no run by this name), or none to open
        fd = os.open(lock_path(database), os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return Seen(*read_holder(fd), read_said(fd))
        finally:
            os.close(fd)  # closing the descriptor drops a shared lock taken
    found = holder_of(database)
    return None if found is None else Seen(found.pid, found.command)


def refusal(database: Path, path: Path, pid: int | None, command: str | None) -> str:
    """Given the database, its lock file and what its holder recorded (PID,
    ``run`` or ``run --once``; None: not known), return why a run cannot
    start and what to do: wait for a ``run --once`` (one cron started
    before, still going), stop a daemon."""
    at = f" (pid {pid})" if pid else ""
    where = f"is using database {database}"
    if command == ONCE:
        return (
            f"another smm-tracker run --once{at} {where}; wait for it to end (cron's runs "
            f"overlap when one outlasts the minute; lock: {path})"
        )
    if command == DAEMON:
        return (
            f"the smm-tracker daemon{at} {where}; stop it first (it runs every job on "
            f"its schedule already; lock: {path})"
        )
    who = f"pid {pid}" if pid else "another process"
    return (
        f"another smm-tracker run ({who}) {where}; stop it first, or wait for it "
        f"to end if it is a run --once (lock: {path})"
    )

"""Who holds a database: the database file's own flock, and what a lock
file's holder wrote.

``lock.py``'s lock file is named by one path to the database (symlinks
resolved); a hard link or a bind mount is another path to the same file,
with a lock file of its own. The flock taken here, on the database file
itself, is the one lock every path shares (:func:`take`).

SQLite locks the database with POSIX (fcntl) locks, and Linux drops all of
a process's POSIX locks on a file when the process closes ANY descriptor of
that file. The flock (BSD) is independent of them on a local filesystem, and
its descriptor, opened read-only (nothing written through it), is let go by
:func:`let_go`: unlocked at once (unlocking touches no POSIX lock), closed
only while no other descriptor of this process is open on the file, else
kept open until a later :func:`let_go` finds none, or the process ends. Its
holder is read from ``/proc/locks``: nothing is opened on the database to
look, and a read command's connection is never disturbed. Where the
filesystem makes flock of POSIX locks (NFS, CIFS: :func:`posix_made`), it
would block SQLite's own: not held there, the lock file alone locks.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote

ONCE, DAEMON = "run --once", "run"  # what a holder records after its PID


class Holder(NamedTuple):
    """Another process's hold of a database file: its PID, :data:`ONCE` or
    :data:`DAEMON` (None: not known), and its lock file where it can be seen."""

    pid: int | None
    command: str | None
    lock: Path | None


_PARKED: list[int] = []  # descriptors let go but kept open: see let_go


def take(database: Path, locked: Callable[[int], bool]) -> int | Holder | None:
    """Given the database path and how to lock a descriptor (False: held by
    another process), return a descriptor holding the database file's
    exclusive flock, the Holder of it, or None when there is no regular file
    there to lock (not created yet: the run makes it; or not to be opened)."""
    try:
        if not stat.S_ISREG(os.stat(database).st_mode):  # a FIFO or device: never opened
            return None
        # Symlinks followed, as SQLite does; a FIFO put there since opens at once.
        fd = os.open(database, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return None  # SQLite says what is wrong with it when it opens it
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)  # no database: no lock of SQLite's on it
        return None
    if locked(fd):
        if not posix_made(fd):
            return fd
        let_go(fd)  # it would fight SQLite's own locks: the lock file alone, as before
        return None
    found = holder_of(database) or Holder(None, None, None)
    let_go(fd)
    return found


def posix_made(fd: int) -> bool:
    """Return True when the filesystem makes the flock held on ``fd`` of a
    POSIX lock (NFS, CIFS, 9p): it then shows as this process's POSIX lock
    over byte 0, which SQLite never locks, and would block SQLite's own."""
    probe = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 1, 0)
    try:
        kind, _, _, _, pid = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, probe))
    except (OSError, struct.error):
        return False
    return kind != fcntl.F_UNLCK and pid == os.getpid()


def let_go(fd: int) -> None:
    """Unlock ``fd``'s flock; close it unless SQLite (or anything else) in this
    process has the file open (its POSIX locks would go with it)."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    _PARKED.append(fd)
    files = _open_files()
    if files is None:  # no /proc/self/fd: never closed (one descriptor a run)
        return
    for parked in list(_PARKED):
        try:
            st = os.fstat(parked)
        except OSError:
            _PARKED.remove(parked)
            continue
        if (st.st_dev, st.st_ino) not in files:
            _PARKED.remove(parked)
            os.close(parked)


def _open_files() -> set[tuple[int, int]] | None:
    """The (device, inode) of every file this process has open but those parked."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    files = set()
    for name in names:
        if not name.isdigit() or int(name) in _PARKED:
            continue
        with contextlib.suppress(OSError):  # the listing's own, closed since
            st = os.stat(f"/proc/self/fd/{name}")
            files.add((st.st_dev, st.st_ino))
    return files


def holder_of(database: Path) -> Holder | None:
    """Given a database path, return who holds its file's exclusive flock
    (``/proc/locks``; its command and lock file from its ``/proc/PID``), or
    None when nobody is seen holding it."""
    try:
        st = os.stat(database)
        table = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    held = []  # (not the same device, pid): btrfs and overlayfs show another device
    for line in table.splitlines():
        words = line.split()  # "1: FLOCK  ADVISORY  WRITE 4242 fe:00:2148054 0 EOF"
        flock = words[1:4:2] == ["FLOCK", "WRITE"] and words[5:6] and words[4].isdigit()
        if flock and words[5].endswith(f":{st.st_ino}"):
            held.append((words[5] != inode, int(words[4])))
    if not held:
        return None
    pid = min(held)[1]
    if pid <= 0:  # in another PID namespace
        return Holder(None, None, None)
    lock = _lock_file_of(pid, st)
    if lock is not None:
        with contextlib.suppress(OSError):
            fd = os.open(lock, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                written, command = read_holder(fd)
            finally:
                os.close(fd)  # the lock file: no database descriptor
            if written == pid and command is not None:
                return Holder(pid, command, lock)
    return Holder(pid, command_of(pid), lock)


def _lock_file_of(pid: int, database: os.stat_result) -> Path | None:
    """The lock file process ``pid`` has open for ``database``'s file (its
    ``<path>.lock``), where its descriptors can be read (the same user, root)."""
    with contextlib.suppress(OSError):
        for name in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{name}")
                if target.endswith(".lock") and os.path.samestat(
                    os.stat(target[: -len(".lock")]), database
                ):
                    return Path(target)
    return None


def read_holder(fd: int) -> tuple[int | None, str | None]:
    """The PID and command the lock's holder wrote (``"123\\nrun --once\\n"``;
    an older smm-tracker wrote its PID alone: its command read from
    ``/proc/PID/cmdline`` where there is one)."""
    try:
        lines = os.pread(fd, 64, 0).decode("ascii", "replace").split("\n")
    except OSError:
        return None, None
    first = lines[0].strip()
    pid = int(first) if first.isdigit() else None
    command = lines[1].strip() if len(lines) > 1 else ""
    if command in (ONCE, DAEMON):
        return pid, command
    return pid, command_of(pid) if pid else None


class Said(NamedTuple):
    """What a run's lock file says of it after its PID and command: the
    panel it runs alone (``run --panel``; "": every panel), the absolute
    path of its config file and the panels of the config it has loaded (at
    its start, or its last reload); None where it says nothing (an older
    smm-tracker's file, or none read)."""

    panel: str | None = None
    config: str | None = None
    panels: tuple[str, ...] | None = None


PANELS = "panels="  # the last line: rewritten at a reload (lock.py's loaded)


def said_lines(panel: str | None, config: Path | None, panels: Sequence[str] | None = None) -> str:
    """The lines a run writes after its command: ``panel=NAME`` (``panel=``:
    every panel), ``config=PATH`` (absolute) when it has a config file, and
    ``panels=A,B`` (the panels it has loaded, each name percent-encoded: a
    comma, a newline or an ``=`` in one never breaks the line)."""
    where = f"config={os.path.abspath(config)}\n" if config is not None else ""
    names = "" if panels is None else PANELS + ",".join(quote(n, safe="") for n in panels) + "\n"
    return f"panel={panel or ''}\n{where}{names}"


def read_said(fd: int) -> Said:
    """What the holder wrote after its command (:func:`said_lines`); its
    ``panels=`` line read only whole (ended by its newline)."""
    try:
        size = min(os.fstat(fd).st_size, _MOST)
        lines = os.pread(fd, max(size, 4096), 0).decode("utf-8", "replace").split("\n")
    except OSError:
        return Said()
    said = dict(line.partition("=")[::2] for line in lines[2:] if "=" in line)
    whole = [line[len(PANELS) :] for line in lines[2:-1] if line.startswith(PANELS)]
    panels = tuple(unquote(n) for n in whole[-1].split(",") if n) if whole else None
    return Said(said.get("panel"), said.get("config"), panels)


_MOST = 1 << 20  # the most of a lock file read: a thousand panels' names fit many times


def command_of(pid: int) -> str | None:
    """``run --once`` or ``run`` as the process ``pid`` was started (Linux's
    /proc); None: not known (no /proc, gone, not a run)."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"run" not in words:
        return None
    return ONCE if b"--once" in words else DAEMON

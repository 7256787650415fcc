"""One daemon per database: an exclusive ``flock`` on ``<database>.lock``.

``run`` (and ``run --once``) hold it for their whole life; read-only commands
never take it and keep working during a run (the database is in WAL mode).
The kernel drops the lock when the process ends, however it ends, so a crash
never leaves a stale lock behind. The file stays once a database was opened
under it (``store_created``'s witness); a start refused before (``tidy``)
deletes the one it made, still holding it: a run waiting for it then takes
the file there now (:meth:`DatabaseLock.acquire`). Someone's ``rm`` of it is
undone by the daemon within a second (:meth:`DatabaseLock.kept`).

The lock file is named by one path: a run through another path to the same
file (a hard link, a bind mount) is refused by the database file's own flock,
held beside it (``lock_holder.py``), which never disturbs SQLite's locks.

The holder writes its PID and what it is (``run`` or ``run --once``) in it,
then the panel it runs alone (``panel=NAME``; ``panel=``: every one), its
config file (``config=PATH``) and the panels it has loaded (``panels=A,B``;
a daemon's rewritten at each reload: :meth:`DatabaseLock.loaded`), a
``run --once``'s as a daemon's, so that a note names the run it waits for;
what the others read of it, and what a run turned away is told, is
``lock_seen.py``'s.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from tracker.errors import StoreError, TrackerError
from tracker.rules.state_place import place_hint
from tracker.service.lock_holder import DAEMON, ONCE, Holder, let_go, read_holder, said_lines, take
from tracker.service.lock_seen import lock_path, refusal


class AlreadyRunningError(TrackerError):
    """Another process holds the database's lock."""


class DatabaseLock:
    """Given a database path, hold its exclusive lock while in the ``with`` block
    (``once``: for a ``run --once``, which the lock file then says; either
    says the ``panel`` it runs alone (None: every one), its ``config`` file
    and the ``panels`` it has loaded; ``tidy``: unless
    :meth:`opened` was called, the release deletes a lock file this lock
    made and puts back what one there before said).

    Raise AlreadyRunningError if another process holds it, TrackerError if the
    lock file cannot be created. An in-memory database needs no lock.
    """

    def __init__(
        self,
        database: Path,
        *,
        once: bool = False,
        tidy: bool = False,
        panel: str | None = None,
        config: Path | None = None,
        panels: Sequence[str] | None = None,
    ):
        self.database = database
        self.path = lock_path(database)
        self.command = ONCE if once else DAEMON
        self._run = panel, config  # what a reload's lines say again (loaded)
        # The lines after the command (`orders`, `balance`, `prune` read them): a
        # run --once's too, so that a note can say which run (its config) it waits for.
        self.said = said_lines(panel, config, panels)
        self.tidy = tidy
        self.made = False  # the lock file was made by this lock
        self.used = False  # a tracker database was opened under it (:meth:`opened`)
        self._before: bytes | None = None  # what a lock file there before said
        self._fd: int | None = None
        self._database_fd: int | None = None  # the database file's flock (lock_holder.py)
        # The lock file an earlier run left was there, the database not: the
        # start makes a new, empty one (``store_created``), maybe by mistake.
        self.database_gone = False

    def acquire(self) -> None:
        if str(self.database) == ":memory:":
            return
        if not self.path.parent.is_dir():
            raise StoreError(
                f"database directory {self.path.parent} does not exist"
                + place_hint(os.environ, unit_only=True)
            )
        for _ in range(_TRIES):
            left = os.path.lexists(self.path)  # by an earlier run: a database was here
            fd = self._open()
            if not _locked(fd):
                pid, command = read_holder(fd)
                os.close(fd)
                raise AlreadyRunningError(refusal(self.database, self.path, pid, command))
            if _names(self.path, fd):
                break
            # Deleted by the refused start that held it while this one waited:
            # the file there now (or a new one) is the lock.
            os.close(fd)
        else:
            raise TrackerError(f"lock file {self.path} keeps being deleted or replaced")
        if self._database_fd is None:  # not when kept() locks the lock file again
            self._take_database(fd)
        self.database_gone = left and not os.path.lexists(self.database)
        # Only a plain file with this one name is handed over or written to: a
        # hard link planted there by the directory's owner shares its inode
        # with a file of someone else's (root's, for `sudo smm-tracker run`).
        opened = os.fstat(fd)
        if stat.S_ISREG(opened.st_mode) and opened.st_nlink == 1:
            _give_to_directory_owner(fd, opened, self.path.parent)
            if not self.made:  # put back by a tidy release
                with contextlib.suppress(OSError):
                    self._before = os.pread(fd, 4096, 0)
            # The PID and command are only a hint for the message above; the
            # lock is the flock. A full disk (ENOSPC) must not stop the daemon
            # over a hint.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n{self.command}\n{self.said}".encode())
        self._fd = fd

    def _open(self) -> int:
        """Open the lock file, made if missing (:attr:`made`); TrackerError if it cannot be."""
        # Never through a symlink: one planted by the directory's owner would
        # have `sudo smm-tracker run` truncate the file it points to.
        flags = os.O_CLOEXEC | os.O_NOFOLLOW
        self.made = False
        with contextlib.suppress(OSError):  # there already, or not to be made: below
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | flags, 0o600)
            self.made = True
            return fd
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise TrackerError(
                    f"lock file {self.path} is a symbolic link: remove it "
                    "(the lock file is always a plain file)"
                ) from None
            # A read-only (or full) filesystem: an existing lock file still
            # locks when opened read-only (flock needs no write access), and
            # the daemon then waits for its database to be writable again
            # instead of exiting into a restart loop.
            try:
                return os.open(self.path, os.O_RDONLY | flags)
            except OSError as none:
                hint = ""  # no lock file, and a directory not to write to: the setting, where to go
                if none.errno == errno.ENOENT and exc.errno in (errno.EROFS, errno.EACCES):
                    hint = place_hint(os.environ)  # the shipped unit's directory, or this unit's
                raise TrackerError(
                    f"cannot create lock file {self.path}: {exc.strerror}{hint}"
                ) from None

    def _take_database(self, fd: int | None) -> None:
        """Flock the database file itself, where there is one: a run through
        another path to it holds it otherwise (AlreadyRunningError, naming it;
        the lock file this lock made, open as ``fd``, deleted: nobody's witness)."""
        taken = take(self.database, _locked)
        if not isinstance(taken, Holder):
            self._database_fd = taken
            return
        if fd is not None:
            with contextlib.suppress(OSError):
                if self.made and _names(self.path, fd):
                    os.unlink(self.path)
            os.close(fd)
        lock = taken.lock or Path(os.path.realpath(self.database))
        raise AlreadyRunningError(refusal(self.database, lock, taken.pid, taken.command))

    def loaded(self, panels: Sequence[str]) -> None:
        """A daemon's reload: its lock file says the ``panels`` it has loaded
        now (``panels=``; every line before it unchanged). Written over the
        old text, then cut to its length, never emptied: a reader meanwhile
        finds the new line (the old one's tail after it read as nothing)."""
        if self.command != DAEMON:
            return
        self.said = said_lines(*self._run, panels)  # a lock file deleted and made again says it too
        fd = self._fd
        if fd is None:
            return
        text = f"{os.getpid()}\n{self.command}\n{self.said}".encode()
        with contextlib.suppress(OSError):  # a hint, as at acquire: never stops the daemon
            opened = os.fstat(fd)
            if stat.S_ISREG(opened.st_mode) and opened.st_nlink == 1:
                os.pwrite(fd, text, 0)
                os.ftruncate(fd, len(text))

    def opened(self) -> None:
        """A tracker database is open under this lock: its lock file stays
        (``tidy``), and a database the run created is flocked now."""
        self.used = True
        if self._fd is not None and self._database_fd is None:
            self._take_database(None)

    def kept(self) -> str | None:
        """Return None while the lock file's path still names the file this
        process holds locked; when it was deleted or replaced (``rm`` of the
        lock file named in the "already running" message), lock the file there
        now and return None, or return why not (another run took it: two
        daemons on one database). Run every second by the daemon."""
        if self._fd is None:
            return None
        try:
            if os.path.samestat(os.fstat(self._fd), os.stat(self.path)):
                return None
        except FileNotFoundError:
            pass
        except OSError:
            return None  # cannot tell (permissions): not a reason to stop
        held = self._fd
        self._fd = None
        try:
            self.acquire()
        except AlreadyRunningError as exc:
            self._fd = held  # still ours: released at exit
            return f"its lock file {self.path} was deleted and then taken: {exc}"
        except TrackerError:
            # Cannot be created again (a directory made read-only): no other
            # run can create it either. Nobody took it; try again next time.
            self._fd = held
            return None
        os.close(held)
        return None

    def release(self) -> None:
        held, self._database_fd = self._database_fd, None
        if held is not None:  # first: a run waiting for the lock file then finds it free
            let_go(held)
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # A start refused before it opened a tracker database, still holding
        # the lock: the lock file it made deleted, one there before as it was.
        with contextlib.suppress(OSError):  # else left as it is: no worse than before
            if self.tidy and not self.used and _names(self.path, fd):
                if self.made:
                    os.unlink(self.path)
                elif self._before is not None:
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, self._before, 0)
        os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


# How long a lock held by a glance is waited for: :func:`holding` lets its
# shared lock go at once, and a daemon starting at that moment must not exit
# "another run is using the database" (one command's glance, a restart).
GLANCE = 0.5
_PAUSE = 0.01
_TRIES = 10  # lock files deleted under a waiting acquire: each a refused start's


def _names(path: Path, fd: int) -> bool:
    """Return True when ``path`` still names the file open as ``fd``."""
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(path))
    except OSError:
        return False


def _locked(fd: int) -> bool:
    """Take the exclusive lock on ``fd``; return False when another process
    holds it still after GLANCE seconds (tried every _PAUSE)."""
    deadline = time.monotonic() + GLANCE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
        _pause(_PAUSE)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _give_to_directory_owner(fd: int, opened: os.stat_result, directory: Path) -> None:
    """Run as root (``sudo smm-tracker run --once``), hand the lock file (open as
    ``fd``, its ``opened`` stat) to the owner of the database's directory, as
    SQLite does its -wal and -shm: a root-owned 0600 lock file would keep the
    service's own user from starting."""
    if os.geteuid() != 0:
        return
    with contextlib.suppress(OSError):
        owner = directory.stat()
        if opened.st_uid != owner.st_uid or opened.st_gid != owner.st_gid:
            os.fchown(fd, owner.st_uid, owner.st_gid)

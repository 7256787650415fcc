"""Why the database cannot be read or written: the filesystem, the permissions or the disk.

SQLite says "attempt to write a readonly database" or "unable to open
database file" for several causes a user fixes differently; this looks at the
file, its companions and its directory to name the real one.
"""

from __future__ import annotations

import os
import pwd
import sqlite3
import stat
import struct
from pathlib import Path

from tracker.errors import StoreError


def _user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def _owner(path: Path) -> str:
    uid = path.stat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _denied(verb: str, target: Path) -> str:
    mode = stat.S_IMODE(target.stat().st_mode)
    return f"user {_user()} cannot {verb} {target} (owner {_owner(target)}, mode {mode:04o})"


# Linux's inode flags (lsattr), as statx(2) gives them: STATX_ATTR_IMMUTABLE,
# STATX_ATTR_APPEND. Read by name, never by opening the file: closing a
# descriptor of a database SQLite holds open here drops its locks.
_PINNED = ((0x10, "immutable (chattr +i)", "-i"), (0x20, "append-only (chattr +a)", "-a"))
_AT_FDCWD = -100


def _attributes(target: Path) -> int:
    """Given a path, return the inode flags statx says are set and supported
    (``stx_attributes & stx_attributes_mask``); 0 where it cannot say."""
    import ctypes  # a failed write's path only

    try:
        statx = ctypes.CDLL(None, use_errno=True).statx
    except (AttributeError, OSError):  # not glibc 2.28+, not Linux
        return 0
    buffer = ctypes.create_string_buffer(256)  # struct statx
    if statx(_AT_FDCWD, os.fsencode(target), 0, 0, buffer) != 0:
        return 0
    attributes, supported = (
        struct.unpack_from("=Q", buffer, 8)[0],
        struct.unpack_from("=Q", buffer, 56)[0],
    )
    return attributes & supported


def pinned(target: Path) -> str | None:
    """Given a file or directory, return why no one may write it, root
    included, when its inode flags say so: "FILE is immutable (chattr +i):
    ..." or "append-only (chattr +a)" (os.access calls an immutable file not
    writable, which read as a mode's fault); None when neither is set, or
    the flags cannot be read (not Linux, a filesystem without them)."""
    flags = _attributes(target)
    for bit, what, clear in _PINNED:
        if flags & bit:
            return f"{target} is {what}: root's `chattr {clear} {target}` lets it be written"
    return None


def read_cause(path: Path) -> str | None:
    """Given a database path, return why this user cannot read it — "user U
    cannot enter DIR (owner O, mode 0700)" for the first directory on the way
    closed to it (``/var/lib/private`` is root's alone), "user U cannot read
    FILE (owner O, mode 0600)", the system's words for a name it refuses ("File
    name too long: PATH") — or None when nothing visible stops it."""
    steps = [*((d, os.X_OK, "enter") for d in reversed(path.parents)), (path, os.R_OK, "read")]
    for target, mode, verb in steps:
        try:
            if not os.access(target, mode) and target.exists():
                return _denied(verb, target)
        except (OSError, ValueError) as exc:  # not a missing file: exists() says False then
            return f"{getattr(exc, 'strerror', None) or exc}: {target}"
    return None


def write_cause(path: Path) -> str | None:
    """Given a database path, return why it cannot be written — "the filesystem
    holding DIR is mounted read-only", "no space left on the disk holding DIR",
    "FILE is immutable (chattr +i): ...", "user U cannot write FILE (owner O,
    mode 0644)" — or None when nothing visible stops it."""
    directory = path.parent
    try:
        fs = os.statvfs(directory)
    except OSError:
        return None
    if fs.f_flag & os.ST_RDONLY:
        return f"the filesystem holding {directory} is mounted read-only"
    if fs.f_bavail == 0:
        return f"no space left on the disk holding {directory}"
    # SQLite writes the -wal and -shm files next to the database too: one left
    # behind by root (a command run with sudo) locks the service's user out.
    companions = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    for target in [*companions, directory]:
        try:
            if not target.exists():
                continue
            if (flagged := pinned(target)) is not None:  # chmod cannot help: said first
                return flagged
            if not os.access(target, os.W_OK):
                return _denied("write", target)
        except OSError:
            continue
    return None


def open_failure(path: Path) -> str:
    """Given a database SQLite could not open, return why, in the words the
    outage checks know: a read-only mount or a full disk (opening needs -wal
    and -shm files beside it) is an outage to wait out, not a broken setup; a
    file or directory this user may not read is said as such, not as a write."""
    cause = read_cause(path) or write_cause(path)
    if cause is not None and "read-only" in cause:
        return f"database {path} is read-only: {cause}"
    if cause is not None and "no space" in cause:
        return f"disk full while writing {path}: {cause}"
    return f"cannot open database {path}: {cause or 'check permissions'}"


def io_failure(path: Path, text: str) -> str:
    """Given SQLite's "disk I/O error" for a database, return it in words: a
    full disk when it is one (opening for writing grows the -shm file, which
    fails as an I/O error before any write can say "disk is full")."""
    cause = write_cause(path)
    if cause is not None and "no space" in cause:
        return f"disk full while writing {path}: {cause}"
    return f"database {path}: {text}"


def a_directory(path: Path) -> str:
    """Given a database path that is a directory, return what to write instead
    (SQLite's own words for it are "disk I/O error" or "unable to open")."""
    return f"{path} is a directory: name the database file, e.g. {path / 'tracker.db'}"


def describe_db_error(path: Path, exc: sqlite3.Error | OverflowError) -> str:
    """Given a failed database operation, return one line a user can act on."""
    if isinstance(exc, OverflowError):  # an int past SQLite's 64 bits: nothing done
        return f"a number larger than SQLite's largest integer ({2**63 - 1}) cannot go into {path}"
    text = str(exc)
    if "unable to open" in text:
        if not path.parent.exists():
            return f"database directory {path.parent} does not exist"
        return open_failure(path)
    if "readonly" in text or "read-only" in text:
        cause = write_cause(path)
        return f"database {path} is read-only" + (f": {cause}" if cause else "")
    if "not a database" in text:
        return f"{path} is not an SQLite database"
    if "malformed" in text:
        return f"database {path} is damaged ({text}): restore it from a backup"
    if "locked" in text or "busy" in text:
        return f"database {path} is busy (another process holds a write lock)"
    if "disk I/O error" in text:
        return io_failure(path, text)
    if "disk is full" in text or "full" in text:
        return f"disk full while writing {path}"
    return f"database {path}: {text}"


# The causes describe_db_error names, by its words: callers ask error_kind().
_KINDS = (
    ("full", "disk full"),
    ("readonly", "is read-only"),
    ("busy", "is busy"),
    ("io", "disk I/O error"),
    ("damaged", "is damaged"),
)


def error_kind(error: BaseException) -> str | None:
    """Given an exception, return the cause a StoreError names ("full",
    "readonly", "busy", "io" or "damaged"), or None for any other error."""
    if not isinstance(error, StoreError):
        return None
    text = str(error)
    return next((kind for kind, words in _KINDS if words in text), None)


def not_a_file(path: Path) -> str | None:
    """Given a database path, return what to write instead when a directory, a
    FIFO or a device is there (SQLite says "disk I/O error", or waits for a
    writer forever on a FIFO); None otherwise (a socket fails to open at once,
    with its cause). Raise OSError if the path cannot be looked at (a
    directory on the way closed to this user)."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISDIR(mode):
        return a_directory(path)
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device"
        return f"{path} is {kind}, not a file: name the database file"
    return None

"""How systemd finds a unit's file and reads it, for ``smm-tracker doctor``
(:mod:`tracker.service.doctor_unit`): the file found first in a manager's
search path, a link systemd rejects as an alias passed over (said), one to
its own name passed over silently; whether it is masked (a device, a link to
/dev/null, an empty file), a dangling link, a link loop, a directory, or a
file this user cannot open; its drop-ins in every directory of the search
path, in the order systemd reads them; each file's text. Apart from
doctor_unit.py, which was near its size limit."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from tracker.rules.unit_stop import template_of

UNIT = "smm-tracker.service"


def first_unit(
    directories: Sequence[Path], search: Sequence[Path], name: str = UNIT
) -> tuple[Path | None, tuple[tuple[str, str], ...]]:
    """The unit file of that name (smm-tracker.service unless told)
    systemd finds first in the directories (None: none) and the links it
    passed over on the way, (link, target), as unit-file.c's
    unit_file_build_name_map does: a link whose target is in the unit
    directories is an alias, the target's name the unit's; one to its own
    name has no effect (passed over, silently); one to a name that is no
    .service unit's of the same kind (plain, or an instance's or template's)
    is rejected (passed over, said). A link leading out of them
    (``systemctl link``) is a linked unit file: read whatever its target's
    name (systemd 248 and later). An instance with no file of its own
    (``smm-tracker@shop2.service``) is its template's
    (``smm-tracker@.service``), as systemd's unit_file_find_fragment finds it."""
    passed: list[tuple[str, str]] = []
    alias = _INSTANCE_ALIAS if "@" in name else _ALIAS
    for directory in directories:
        unit = directory / name
        if not os.path.lexists(unit):
            continue
        target = _alias_name(unit, search)
        if target == name:  # a self-alias: no effect
            continue
        if target is not None and not alias.fullmatch(target):
            passed.append((str(unit), os.path.normpath(unit.parent / os.readlink(unit))))
            continue
        return unit, tuple(passed)
    if (template := template_of(name)) is not None:
        found, more = first_unit(directories, search, template)
        return found, (*passed, *more)
    return None, tuple(passed)


# A name smm-tracker.service may be an alias of: a plain (no "@") unit
# name of the same type (unit-file.c's unit_validate_alias_symlink_or_warn);
# an instance's or a template's, another instance's or template's.
_ALIAS = re.compile(r"[A-Za-z0-9:_.\\-]+\.service")
_INSTANCE_ALIAS = re.compile(r"[A-Za-z0-9:_.\\-]+@[^/]*\.service")


def _alias_name(unit: Path, search: Sequence[Path]) -> str | None:
    """The name a link in the unit directories makes the unit an alias of:
    its target's, when the target (its "." and ".." taken away, as systemd
    does, links on the way not followed) is inside one of them; None for a
    file, or a link leading out of them."""
    try:
        target = os.readlink(unit)
    except OSError:  # no link
        return None
    simplified = Path(os.path.normpath(unit.parent / target))
    inside = any(simplified.is_relative_to(d) for d in search if str(d) != "/")
    return simplified.name if inside else None


def unreadable(unit: Path) -> str | None:
    """Why systemd cannot read the unit file as one: "loop" (a link loop),
    "directory", or "unreadable: WHY" (this user may not open it); None
    when it can."""
    try:
        status = unit.stat()
    except OSError as exc:
        return "loop" if exc.errno == errno.ELOOP else None
    if stat.S_ISDIR(status.st_mode):
        return "directory"
    try:
        _opened(unit)
    except PermissionError as exc:
        return f"unreadable: {exc.strerror or exc}"
    except OSError:  # gone since: the next doctor says so
        return None
    return None


def _opened(path: Path) -> None:
    """Open the file for reading and close it: raises what its read would."""
    with open(path, "rb"):
        pass


def masked(unit: Path) -> str | None:
    """How the unit file masks the unit, as systemd reads it (a device, a
    link to /dev/null most often, or an empty file), else None."""
    try:
        status = unit.stat()
    except OSError:  # a dangling link (:func:`_dangling`), unreadable
        return None
    if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode):
        return f"a link to {os.path.realpath(unit)}"
    if stat.S_ISREG(status.st_mode) and status.st_size == 0:
        return "an empty file"
    return None


def dangling(unit: Path) -> str | None:
    """Where the unit file leads when it is a symbolic link to nothing (a
    missing file, or a missing directory on its way), else None. systemd
    finds such a link first in its search path, fails to open it ("Failed
    to open ...: No such file or directory") and takes the unit as not
    found: a unit of that name in a later directory is not read."""
    try:
        os.stat(unit)
    except OSError as exc:
        if unit.is_symlink() and exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return os.path.realpath(unit)
    return None


def read_files(paths: Sequence[Path]) -> list[tuple[str, str]]:
    """Each file's (path, text); a file that cannot be read is passed over."""
    files = []
    for path in paths:
        try:
            files.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
        except OSError:  # unreadable, a directory: systemd reads nothing there either
            continue
    return files


def real_dirs(directories: Sequence[Path]) -> list[Path]:
    """The directories as their real paths, each once, in order: /lib's and
    /usr/lib's where one links to the other are one directory."""
    seen: dict[Path, None] = {}
    for directory in directories:
        seen.setdefault(Path(os.path.realpath(directory)))
    return list(seen)


def drop_ins(directories: Sequence[Path], names: Sequence[str]) -> list[Path]:
    """The drop-ins as systemd reads them: every ``*.conf`` in the drop-in
    directories of those names, one of a name in an earlier directory hiding
    a later one's, in the order of their names."""
    chosen: dict[str, Path] = {}
    for directory in directories:
        for name in names:
            try:
                entries = list((directory / name).iterdir())
            except OSError:  # none there (most)
                continue
            for path in entries:
                if path.name.endswith(".conf") and not path.name.startswith("."):
                    chosen.setdefault(path.name, path)
    return [chosen[name] for name in sorted(chosen)]

"""A file the user names for the config (``--config``, ``database.path``,
``key_file``) as it is opened and shown: absolute, without its ``.`` and
``..`` parts where dropping them names the same file."""

from __future__ import annotations

import os
from pathlib import Path


def tidied(path: Path) -> Path:
    """Given a path as named (``./conf/../tracker.toml``), return it absolute
    and without ``..`` (``/home/me/tracker.toml``), as a user expects it said.

    ``..`` after a symbolic link to a directory goes back from where the link
    leads, not from where it is: the path without it would name another file.
    Then the directory holding the file is resolved (the links followed),
    the file's own name kept (a config that is a link is still named as the
    link). A path already clean, or whose directory is not there to compare
    (a missing file's message names it as given), is returned as given, made
    absolute.
    """
    whole = path.absolute()
    plain = Path(os.path.normpath(whole))
    if plain == whole:
        return whole
    try:
        if os.path.samefile(whole.parent, plain.parent):
            return plain
        return whole.parent.resolve(strict=True) / whole.name
    except (OSError, RuntimeError):  # not there, not allowed in, a loop: as named
        return whole

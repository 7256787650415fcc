"""The file a command writes, named on its command line (``init PATH``,
``backup DEST``, ``simulate --config-out PATH``).

A name ending in ``/`` is a directory's: pathlib drops the slash, so
``backup backups/`` wrote a file named ``backups`` where the user meant a
directory (and ``init /etc/smm-tracker/`` made ``/etc/smm-tracker`` a file,
where the service install then makes that directory). Refused as a usage
error, one line, before anything is read or written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

_SEPARATORS = tuple(s for s in (os.sep, os.altsep) if s)


class FileToWrite(click.Path):
    """A path naming a file to write: never a directory, existing or not."""

    name = "file"

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.endswith(_SEPARATORS) and not Path(value).is_dir():
            self.fail(
                f"{value!r} ends in '{value[-1]}', a directory's name, and there is no such "
                "directory: name the file to write",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)

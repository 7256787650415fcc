"""When the output cannot be written (a full disk under ``> file``): one line
on stderr and exit 1, never a traceback. A closed pipe (``| head``) is left to
click, which ends quietly with exit 1, as well-behaved Unix tools do; except
for the ID of an order just placed, which is never lost without a word. A
path argument the filesystem refuses (past 255 bytes) is one line, exit 2, and
so is a current directory removed under the command."""

from __future__ import annotations

import errno
import os
import sys
import traceback
from typing import NoReturn

import click
import click.utils


def output_failed(exc: OSError) -> NoReturn:
    """Given an OSError that ended the command, say so in one line and exit 1
    if click.echo raised it writing the output (every command prints through
    it); otherwise raise ``exc`` on."""
    if exc.errno == errno.ENAMETOOLONG and exc.filename:  # --config, DEST, --keep, PATH...
        click.echo(f"smm-tracker: {exc.strerror}: {exc.filename}", err=True)
        sys.exit(2)
    if isinstance(exc, FileNotFoundError) and _cwd_gone():  # a relative path, or none
        click.echo("smm-tracker: the current directory no longer exists", err=True)
        sys.exit(2)
    frames = traceback.extract_tb(exc.__traceback__)
    if exc.errno == errno.EPIPE or not frames or frames[-1].filename != click.utils.__file__:
        raise exc
    click.echo(f"smm-tracker: cannot write the output: {exc.strerror or exc}", err=True)
    sys.exit(1)


def _cwd_gone() -> bool:
    try:
        os.getcwd()
    except FileNotFoundError:  # removed under us (`rmdir` from another shell)
        return True
    return False


def print_placed(order_id: int) -> None:
    """Print the ID of an order just placed (and already tracked). When it cannot
    be written (a closed pipe, a full disk), say on stderr that the order exists
    and is tracked, and exit 1: a script that saw no ID must not place it again."""
    try:
        if sys.stdout is None:  # closed (`>&-`): click.echo would write nowhere, silently
            raise OSError(errno.EBADF, "stdout is closed")
        click.echo(order_id)
    except OSError as exc:
        click.echo(
            f"smm-tracker: order {order_id} was placed and is tracked, but its ID could not "
            f"be printed ({exc.strerror or exc}): do not place it again",
            err=True,
        )
        sys.exit(1)

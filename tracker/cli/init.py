"""``smm-tracker init``: write the commented example config to start from."""

from __future__ import annotations

import os
from contextlib import suppress
from importlib.resources import files
from pathlib import Path
from shlex import quote
from typing import TextIO

import click

from tracker.cli.file_args import FileToWrite
from tracker.cli.main import EXIT_FAILED, EXIT_USAGE, fail, handle_errors, main
from tracker.cli.render import safe_text
from tracker.cli.stops import end_if_stopped, held
from tracker.config.places import tidied


def example_config() -> str:
    """Return the example config shipped inside the package (every key, its default)."""
    return files("tracker.data").joinpath("config.example.toml").read_text(encoding="utf-8")


# What to do instead, said after the refusal to overwrite.
_INSTEAD = " (write another: smm-tracker init PATH; see the example: smm-tracker init -)"


@main.command()
@click.argument(
    "path",
    required=False,
    default="tracker.toml",
    type=FileToWrite(),
)
@handle_errors
def init(path: Path) -> None:
    """Write the commented example config to PATH (default ./tracker.toml).

    Never overwrites an existing file. PATH - prints it on stdout.
    """
    if str(path) == "-":  # `init - > my.toml`, not a file named "-"
        click.echo(example_config(), nl=False)
        return
    if not path.name:  # `init ""`: click makes it Path("."), which exists
        fail("PATH is empty; name the file to write (default ./tracker.toml)", EXIT_USAGE)
    shown = tidied(path)  # "conf/../x.toml" said as the file, as --config's is
    if path.exists():
        fail(f"{shown} already exists; not overwriting it{_INSTEAD}", EXIT_USAGE)
    if not path.parent.is_dir():
        fail(f"directory {shown.parent} does not exist", EXIT_USAGE)
    try:  # a stop while it writes (a Ctrl-C, a SIGTERM) is kept until it is whole
        with held() as hold, _created(path) as out:
            out.write(example_config())
    except FileExistsError:
        fail(f"{shown} already exists; not overwriting it{_INSTEAD}", EXIT_USAGE)
    except OSError as exc:
        fail(f"cannot write {shown}: {exc.strerror}", EXIT_FAILED)
    said = safe_text(shown)  # escaped, as every error line says a path
    then = "smm-tracker doctor" if _read_by_default(path) else _doctor_of(shown)
    click.echo(_wrote(f"wrote {said}: set the panel's url and key, then run:", then))
    end_if_stopped(hold)  # said written first: whole, no `init` again refused


# The config holds no secret (the key and alert URLs have their own files,
# 0600): 0644 whatever the umask, as the unit's user (DynamicUser=, in no
# group of root's) reads it itself; under umask 077 it was 0600, and the
# daemon stopped at start on a config it could not read.
CONFIG_MODE = 0o644


def _created(path: Path) -> TextIO:
    """Return ``path`` opened to write, created here or not at all (even if
    another process races us: FileExistsError), mode CONFIG_MODE."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, CONFIG_MODE)
    with suppress(OSError):  # a file system without modes (vfat): as it makes it
        os.fchmod(fd, CONFIG_MODE)  # the umask took bits off: put them back
    return os.fdopen(fd, "w", encoding="utf-8")


def _read_by_default(path: Path) -> bool:
    """Whether the commands read ``path`` with no --config given (./tracker.toml,
    or $SMM_TRACKER_CONFIG naming it): `doctor` alone checks the file written."""
    from tracker.config.load import find_config_path
    from tracker.errors import ConfigError

    try:
        return os.path.samefile(find_config_path(None, os.environ), path)
    except (ConfigError, OSError):
        return False


def _wrote(said: str, then: str) -> str:
    """Given what was written and the command to run next, return the line
    saying both; on a terminal too narrow for it, the command on a line of
    its own, whole (to paste), the rest wrapped at its words."""
    from tracker.cli.cells import on_screen
    from tracker.cli.screen import fitted, stdout_screen

    line = f"{said} {then}"
    screen = stdout_screen()
    if screen is None or on_screen(line) <= screen.width:
        return line  # piped: one line, as scripts read it
    return f"{fitted(said, screen)}\n  {then}"


def _doctor_of(path: Path) -> str:
    """`doctor` checking ``path``, a file it does not read by default, to paste
    (absolute: from anywhere): `doctor` alone checked another file, or none."""
    return safe_text(f"smm-tracker --config {quote(str(path))} doctor")

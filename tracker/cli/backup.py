"""The ``backup`` command: a verified copy of the database, safe while ``run`` runs."""

from __future__ import annotations

import os
from pathlib import Path

import click

from tracker.cli.file_args import FileToWrite
from tracker.cli.main import EXIT_USAGE, Context, fail, handle_errors, main, pass_ctx
from tracker.cli.render import safe_text
from tracker.cli.screen import fitted, stderr_screen, stdout_screen
from tracker.rules.counts import counted
from tracker.store.backup import backup as backup_database
from tracker.store.backup import destination_problem, own_file_problem
from tracker.store.orphans import orphan_words, orphans


@main.command()
@click.argument("dest", type=FileToWrite())
@click.option("--force", is_flag=True, help="Overwrite DEST if it exists.")
@pass_ctx
@handle_errors
def backup(ctx: Context, dest: Path, force: bool) -> None:
    """Copy the database to DEST consistently, even while the daemon runs.

    Uses SQLite's online backup API, checks the copy with integrity_check and
    only then puts it at DEST. Refuses to overwrite DEST unless --force.
    Restore: stop the service, delete database.path's -wal and -shm files,
    copy DEST over database.path, start it (README: Backups).
    """
    if not dest.name:  # `backup ""`: click makes it Path("."), "a directory"
        fail("backup: DEST is empty; name the file to write", EXIT_USAGE)
    if str(dest) == "-":  # a database is no stream: a file named "-" is the surprise
        fail("backup: DEST -: name the file to write (./- for a file named '-')", EXIT_USAGE)
    if (problem := destination_problem(dest, force=True)) is not None:
        fail(problem, EXIT_USAGE)  # a usage mistake, as for init and simulate --config-out
    config = ctx.config(keys=False)
    database = config.database
    # Before "exists; use --force": said of the database (or its lock), that
    # pointed at overwriting it, which --force then refused too.
    if (problem := own_file_problem(database.path, dest, config.path, config.files)) is not None:
        fail(problem)
    if (problem := destination_problem(dest, force)) is not None:
        fail(problem, EXIT_USAGE)
    # A SIGTERM raises there as a Ctrl-C does (tracker.cli.stops): the half-written
    # copy beside DEST (.DEST.partial-PID, as large as the database) is removed.
    done = backup_database(database.path, dest, force=force, busy_timeout=database.busy_timeout)
    # Both in full, as every error line: a copy named "copy.db" said nothing of
    # the directory the command ran in.
    source, copy = safe_text(database.path), safe_text(os.path.abspath(done.path))
    said = (
        f"backed up {source} to {copy}: {done.size / 1e6:.1f} MB, "
        f"{counted(done.orders, 'order')}, {counted(done.transitions, 'transition')}; "
        "integrity ok"
    )
    click.echo(fitted(said, stdout_screen()))  # on a terminal wrapped at its words
    for orphan in orphans(database.path):  # made all the same: the file there is whole
        said = safe_text(orphan_words(orphan, database.path))
        click.echo(
            fitted(f"warning: not in the copy, left as it is: {said}", stderr_screen()), err=True
        )

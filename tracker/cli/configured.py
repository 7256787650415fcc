"""The config a command runs with, as ``Context.config`` (:mod:`tracker.cli.main`)
loads it: the file found and read, a read command's ``--database PATH`` in place
of its ``database.path``, logging set up. With no config at any place, a command
that takes ``--database`` says that way out too, beside ``smm-tracker init``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracker.errors import ConfigError

if TYPE_CHECKING:
    from tracker.config.model import Config

# Said after "write one with smm-tracker init, ...": a kept demo, a backup or a
# copy is read with no config at all.
READ_A_FILE = "or read a database file with --database PATH (demo --keep DIR keeps DIR/demo.db)"
# The one-off commands that say their own outcome in a sentence: on a terminal
# at the default level their info lines (`refill_requests_done`, `services_synced`)
# said it once more before it, and are left out there (warnings and errors kept).
SAY_THEMSELVES = frozenset(
    ("add", "backup", "cancel", "prune", "refill", "services", "track", "untrack")
)


def command_config(
    config_path: str | None,
    log_level: str | None,
    log_format: str | None,
    *,
    keys: bool,
    logs: bool,
    daemon: bool,
    database: Path | None,
    started: Path | None = None,
) -> Config:
    """Given the global options and what :meth:`tracker.cli.main.Context.config`
    was asked, return the config (see there)."""
    from tracker.cli.database import check_database_directory, check_named_database
    from tracker.config.load import load_config, no_config_anywhere, with_database

    if database is not None and no_config_anywhere(config_path, os.environ):
        config = with_database(None, database)
    else:
        try:
            config = load_config(config_path, os.environ, resolve_keys=keys, started=started)
        except ConfigError as exc:
            if _takes_database() and no_config_anywhere(config_path, os.environ):
                from tracker.config.load import no_config_found

                raise no_config_found(READ_A_FILE) from None
            if not _takes_database() or database is None:
                raise
            # A file a reload just refused, say, while the daemon runs on the
            # config it started with: the database named is read without it.
            _not_read(exc, database)
            config = with_database(None, database)
        else:
            if database is not None:
                config = with_database(config, database)
    if database is not None:
        check_named_database(config.database.path)
    if logs:
        _configure_logging(config, log_level, log_format, daemon=daemon)
    check_database_directory(config)
    return config


def _not_read(exc: ConfigError, database: Path) -> None:
    """Say on stderr that the config could not be read (its first problem),
    and that ``database`` is read without it."""
    from tracker.cli.render import safe_text
    from tracker.redact.scrub import redact_text

    where = f"config {exc.file}" if exc.file else "config"
    more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
    said = f"{where} not read: {exc.problems[0] if exc.problems else exc}{more}"
    line = f"note: {said}; reading {database} without it"
    click.echo(safe_text(redact_text(line)), err=True)


def _takes_database() -> bool:
    """Return whether the command running takes ``--database PATH`` (the read
    commands, ``dashboard``): the way out of "no config file found" it has."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and any(param.name == "database" for param in ctx.command.params)


def _configure_logging(
    config: Config, log_level: str | None, log_format: str | None, *, daemon: bool
) -> None:
    """Set up logging: ``logging.format = "auto"`` means JSON when stderr is not
    a terminal for the daemon (``run`` without --once: journald), human lines
    for a one-off command, piped or not; ``--log-format`` or an explicit
    ``logging.format`` wins."""
    from tracker.service.logs import configure as configure_logging

    fmt = log_format or config.logging.format
    person = None
    if fmt == "auto":  # on a terminal, lines for a person
        from tracker.cli.loglines import for_terminal

        person = for_terminal()
    if fmt == "auto" and not daemon:
        fmt = "console"
    if fmt == "text":  # lines for a person, piped too (cron's mail)
        from tracker.cli.loglines import for_text

        person = for_text()
    level = log_level or config.logging.level
    if person is not None and fmt == "console" and log_level is None and level == "info":
        level = "warning" if _says_itself() else level
    configure_logging(level, fmt, person=person)


def _says_itself() -> bool:
    """Return whether the command running says its own outcome (SAY_THEMSELVES)."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.command.name in SAY_THEMSELVES

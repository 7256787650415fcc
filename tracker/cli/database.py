"""``--database PATH``: the read commands' way to look at a SQLite file other
than the config's ``database.path``, with no config needed (a kept demo, a
backup, a copy from another machine)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click

from tracker.config.model import Config
from tracker.config.places import tidied
from tracker.errors import ConfigError, StoreError
from tracker.rules.counts import counted


def _database_file(ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
    # Seen before it is a Path: Path("") is ".", which then "has no database".
    if value == "":  # `--database "$UNSET"`
        raise click.UsageError("--database is empty: name the file, or leave the option out", ctx)
    # Said in full, as the config's files are: `history 1 --database copy.db`
    # said "not in copy.db", `orders` the same file absolute.
    return None if value is None else tidied(Path(value))


database_option = click.option(
    "--database",
    "database",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    callback=_database_file,
    help="This SQLite file instead of the config's database.path (no config needed).",
)


def check_named_database(path: Path) -> None:
    """``--database PATH`` names a file the user has: none there is exit 1, with
    no "start the daemon first" (it is not the config's database)."""
    from tracker.store.causes import open_failure

    try:
        found = path.is_file()
        empty = found and path.stat().st_size == 0
    except OSError:  # a directory on the way this user may not enter, a name too long
        raise StoreError(open_failure(path)) from None
    if not found:
        raise StoreError(f"no database at {path}")
    if empty:  # SQLite takes it for a new database: "start the daemon first" is no answer
        raise StoreError(f"{path} is empty: no database in it")


def check_database_directory(config: Config) -> None:
    """A database path in a missing directory is the user's mistake (exit 2),
    found before any command opens, locks or creates anything. Checked here
    rather than in load_config: a config may be validated on another machine."""
    from tracker.rules.state_place import place_hint
    from tracker.store.causes import not_a_file, open_failure

    path = config.database.path
    try:
        if str(path) != ":memory:" and not path.parent.is_dir():
            # Under an instance, a copy of systemd/config.toml names smm-tracker.service's
            # /var/lib/smm-tracker: hidden from it (DynamicUser=), so missing. Say its own.
            hint = place_hint(os.environ, unit_only=True)
            raise ConfigError(
                [f"at 'database.path': directory {path.parent} does not exist{hint}"], config.path
            )
        # `path = "/var/lib/smm-tracker"`, a FIFO: SQLite says "disk I/O error", or waits
        if (why := not_a_file(path)) is not None:
            raise ConfigError([f"at 'database.path': {why}"], config.path)
    except PermissionError:  # a directory on the way this user may not enter
        raise StoreError(open_failure(path)) from None
    except OSError as exc:  # a name the filesystem refuses ("File name too long")
        raise ConfigError([f"at 'database.path': {exc.strerror or exc}"], config.path) from None


def no_daemon_behind(path: Path) -> Callable[[list[str]], None]:
    """Given the database path, return the check a one-off command makes before
    it applies migrations (an older schema, the tracker just upgraded): none
    while a ``run`` holds the database, which has not applied them, so runs an
    older smm-tracker (or starts this moment): it would go on writing to a
    schema it does not know. What to do is said by what holds it (the lock
    file records it): a daemon's restart applies them, a ``run --once`` (cron's)
    is waited for."""

    def check(pending: list[str]) -> None:
        from tracker.service.lock_seen import holding

        if (found := holding(path)) is not None:
            needs = (
                f"database {path} needs {counted(len(pending), 'migration')} of this smm-tracker "
                f"({pending[0]}{' ...' if len(pending) > 1 else ''})"
            )
            raise StoreError(f"{needs}, but {_behind(*found)}, then run this again")

    return check


def _behind(pid: int | None, command: str | None) -> str:
    """What holds a database it has not migrated (its PID and ``run`` or ``run
    --once``, None: not known), and what to do about it: a daemon's restart
    said as fits what runs it (the system's unit, a user's, a ``run`` in a
    terminal; not known: the unit installed, as ``doctor`` says it)."""
    from tracker.cli.unit_notes import daemon_restart
    from tracker.service.lock import DAEMON, ONCE

    at = f" (pid {pid})" if pid else ""
    if command == ONCE:
        return (
            f"a run --once{at} is using it without them: an older smm-tracker's (or one "
            "starting). Wait for it to end (cron's next run, of this smm-tracker, applies them)"
        )
    restart = daemon_restart(pid)
    if command == DAEMON:
        return (
            f"the daemon using it{at} has not applied them: it runs an older smm-tracker "
            f"(or is starting). Restart it ({restart}), which applies them"
        )
    who = f"pid {pid}" if pid else "another process"
    return (
        f"a run using it ({who}) has not applied them: an older smm-tracker's (or one "
        f"starting). Restart the daemon ({restart}), which applies them, "
        "or wait for a run --once to end"
    )

"""``smm-tracker prune``: delete the history older than a cutoff, on request."""

from __future__ import annotations

import os
import shlex
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracker.cli.ask import ask, interactive
from tracker.cli.command import TrackerCommand
from tracker.cli.main import (
    EXIT_FAILED,
    EXIT_USAGE,
    Context,
    fail,
    handle_errors,
    main,
    pass_ctx,
)
from tracker.cli.order_args import listing_panel
from tracker.cli.render import safe_text
from tracker.cli.screen import Screen, fitted, moment, stdout_screen
from tracker.cli.stops import end_if_stopped, ending, held
from tracker.cli.store_open import open_store
from tracker.clock import iso, utcnow
from tracker.errors import StoreError
from tracker.rules.counts import counted
from tracker.rules.prune import Cutoffs, cutoffs, too_recent

if TYPE_CHECKING:
    from tracker.config.model import Config
    from tracker.store.connection import Connection

# The rows of panels gone from the config (forget_gone), said as a table's.
MARKS = "alert_state"
KEPT = f"{MARKS} rows of panels gone from the config: none deleted"
KEPT_DRY = f"{MARKS} rows of panels gone from the config: none would go"

# The file does not shrink: SQLite reuses its free pages for new rows. No
# VACUUM here: it copies the whole file, holding back the daemon's writes.
_AFTER = (
    "free inside the file: {free}, reused for new rows; to give it back to the disk, "
    "stop the daemon and run: sqlite3 {path} VACUUM (it needs as much free disk as the file)"
)


class _PruneCommand(TrackerCommand):
    """``prune`` whose missing ``--older-than`` says the form to use: ``prune
    1d`` read "Missing option '--older-than'." alone. The age is never taken
    as an argument: a word left over from another command line deletes no data."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # click's parser takes the words off the list it is given
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter as exc:
            if exc.param is None or exc.param.name != "older_than":
                raise
            try:
                _opts, words, _order = self.make_parser(ctx).parse_args(args=given)
            except click.UsageError:
                words = []
            if len(words) == 1:
                form = f"the age is an option: prune --older-than {words[0]}"
            else:
                form = "give the age: prune --older-than DURATION (at least 30d; e.g. 365d)"
            raise click.UsageError(f"Missing option '--older-than': {form}", ctx) from None


@main.command(cls=_PruneCommand)
@click.option(
    "--older-than",
    "older_than",
    metavar="DURATION",
    required=True,
    help="Delete what ended before this long ago (at least 30d; e.g. 365d).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print what would be deleted, per table; delete nothing."
)
@click.option(
    "--yes", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."
)
@listing_panel
@pass_ctx
@handle_errors
def prune(ctx: Context, older_than: str, dry_run: bool, yes: bool, panel: str | None) -> None:
    """Delete orders, balance checks and alerts older than DURATION (asks first).

    An order goes, with every row naming it, once it finished or was stopped
    before the cutoff and nothing about it is newer: never one still polled,
    in its refill window, or in a re-order family with an order that stays.
    Safe beside the running daemon (1,000 orders per transaction). Exit 2 for
    a DURATION under 30d, or without --yes (or --dry-run) and no terminal.
    """
    from tracker.config.durations import parse_duration

    try:
        seconds = parse_duration(older_than)
    except ValueError as exc:
        fail(f"--older-than: {exc}", EXIT_USAGE)
    if (why := too_recent(seconds)) is not None:
        fail(f"--older-than: {older_than.strip()} {why}", EXIT_USAGE)
    if not (dry_run or yes or interactive()):
        fail(
            "prune deletes records: pass --yes to run it without a terminal "
            "(or --dry-run to see what it would delete)",
            EXIT_USAGE,
        )
    from tracker.cli.panels import stored_panel
    from tracker.store.prune import Plans, count, forget_gone, gone_marks, zero
    from tracker.store.prune import prune as delete
    from tracker.store.prune_runs import PruneRun
    from tracker.store.pruned import free_bytes
    from tracker.store.readings import panels_in_database
    from tracker.store.refill_reach import longest_refill_window

    config = ctx.config(keys=False)
    # A stop before the first batch (while counting): one line, that nothing went.
    try:
        opened = cache(partial(open_store, config, existing=True, read_only=dry_run))
        names = [stored_panel(config, panel, opened)] if panel else panels_in_database(opened())
        store = opened()
        refill = config.refill
        window = longest_refill_window(store, refill) if refill.enabled else None
        now = utcnow()
        cut = cutoffs(now, seconds, window)
        screen = stdout_screen()
        named = window is not None and window > refill.window
        for line in _header(cut, older_than.strip(), panel, screen, named):
            click.echo(fitted(line, screen, 4))
        plans: Plans = {}
        found = count(store, names, cut, panel, plans)
        left = _left(config, panel)  # the marks of panels gone: said when there are some
        theirs, unknown = _daemon_panels(config) if left else ([], None)
        if left and (marks := gone_marks(store, [*left, *theirs])):
            if unknown is None:
                found[MARKS] = marks
            else:  # a daemon runs panels not known here: none of them go, said kept
                kept = f"{KEPT_DRY if dry_run else KEPT} ({marks} kept): {unknown}"
                click.echo(fitted(kept, screen, 4))
        if not any(found.values()):
            click.echo("nothing to delete")
            if free_bytes(store):  # a prune before left it: still to give back
                _free(store, config.database.path)
            return
        _show(found, screen)
        if dry_run:
            click.echo("dry run: nothing deleted")
            return
        if not yes and not ask(f"Delete these {counted(sum(found.values()), 'row')}?"):
            fail("nothing deleted", EXIT_FAILED)
        done = zero()
        # Recorded with the first batch that deletes rows, counted by each: a read
        # whose window reaches before cut.records says its counts are incomplete.
        run = PruneRun(store, now, names[0] if panel else None, older_than.strip(), cut.records)
    except KeyboardInterrupt as exc:  # (one at the question is click's No, above)
        said, code = ending(exc)
        fail(f"{said}: nothing deleted", code)
    try:  # a stop is kept while a batch deletes and is counted: said whole, then ended
        with held() as hold:
            stop = partial(end_if_stopped, hold)
            delete(store, names, cut, panel, done, plans=plans, run=run, on_batch=stop)
            if MARKS in found:  # bookkeeping, after the history: not in prune_runs' counts
                done[MARKS] = forget_gone(store, [*left, *theirs])
            stop()  # one come in the last batch: its rows said deleted before stopping
    except (KeyboardInterrupt, StoreError) as exc:
        click.echo("deleted before stopping (whole orders; the rest is kept):")
        _show(done, screen)
        if isinstance(exc, KeyboardInterrupt):  # Ctrl-C: 130; SIGTERM: 143
            fail(*ending(exc))
        raise
    click.echo("deleted:")
    _show(done, screen)
    _free(store, config.database.path)


def _left(config: Config, panel: str | None) -> list[str]:
    """The panels a prune of every panel with its config keeps the
    ``alert_state`` rows of (:func:`tracker.store.prune.forget_gone`: those
    of any other panel no order is left of go); none under ``--panel`` or
    without a config (``--database`` alone): nothing of them is known."""
    return [p.name for p in config.panels] if panel is None and config.path is not None else []


def _daemon_panels(config: Config) -> tuple[list[str], str | None]:
    """The panels of the daemon running on the database, as it has loaded
    them (its lock file's ``panels=``, rewritten at each reload: a panel
    taken out of its config file still counts until the reload), else as
    its config file (``config=``: an older smm-tracker's lock file) names
    them: every one, for a ``run --panel`` daemon too; its ``alert_state``
    rows are its runs' (:func:`_left`). Or none and why, when a daemon runs
    whose config is not known: its file cannot be read here (gone, invalid,
    another user's), or its lock file names none (an older smm-tracker's);
    nothing when no daemon runs. A ``run --once`` (cron's) keeps none: it
    ends within seconds, and a prune a moment later would find none running
    (its panels are those of the config prune is given: cron's, as a rule)."""
    from tracker.config.load import config_from_dict, read_toml
    from tracker.errors import ConfigError
    from tracker.redact.scrub import redact_text
    from tracker.service.lock_holder import DAEMON, ONCE
    from tracker.service.lock_seen import seen

    held = seen(config.database.path)
    if held is None or held.command == ONCE:  # a run --once keeps none (the docstring says why)
        return [], None
    who = "the daemon running on" if held.command == DAEMON else "the smm-tracker run holding"
    daemon = f"{who} this database{f' (pid {held.pid})' if held.pid else ''}"
    if held.said.panels is not None:  # as loaded: the file may have been edited since
        return list(held.said.panels), None
    if held.said.config is None:
        return [], f"{daemon} names no config in its lock file (an older smm-tracker's)"
    path = Path(held.said.config)
    try:
        if not path.is_file():  # a FIFO there would hold the read forever
            raise ConfigError(["not a file" if path.exists() else "it does not exist"])
        data = read_toml(path)
        theirs = config_from_dict(
            data, base_dir=path.parent, env=os.environ, path=path, resolve_keys=False
        )
    except OSError as exc:  # a directory on the way this user may not enter
        why = exc.strerror or str(exc)
    except ConfigError as exc:
        first = (exc.problems or [str(exc)])[0].removeprefix(f"{path}: ")  # the file said once
        why = first.removeprefix(f"cannot read config file {path}: ")
    else:
        return [p.name for p in theirs.panels], None
    why = safe_text(redact_text(why), 200)
    return [], f"{daemon} runs config {path}, which this prune cannot read: {why}"


def _free(store: Connection, path: Path) -> None:
    """Say how much is free inside the file, and how to give it back."""
    from tracker.store.pruned import free_bytes

    free = free_bytes(store)
    if not free:  # the rows deleted shared their pages with rows kept: nothing to give back
        return
    size = f"{free / 1e6:.1f} MB" if free >= 100_000 else "under 0.1 MB"
    click.echo(_AFTER.format(free=size, path=shlex.quote(str(path))))


def _header(
    cut: Cutoffs, older_than: str, panel: str | None, screen: Screen | None, named: bool = False
) -> list[str]:
    """What prune acts on: its cutoffs as stored ISO stamps when piped
    (scripts read them), as every table on a terminal says a time there
    ("Dec 04 18:03 UTC"). ``named``: the window held is a longer guarantee
    a service's name says (refill.window_from_name)."""
    where = f"panel {panel}" if panel else "every panel"
    lines = [f"older than {older_than} (before {moment(iso(cut.records), screen)}), {where}:"]
    if cut.held_by_refill_window:
        held = "the longest guarantee a service's name says" if named else "refill.window"
        lines.append(
            f"  finished orders: completed before {moment(iso(cut.completed), screen)} "
            f"({held}: the refill job may still ask for the later ones)"
        )
    return lines


def _show(counts: dict[str, int], screen: Screen | None) -> None:
    """Say the rows per table: on a terminal the tables with rows, then one line
    for the others (none of their rows is touched); piped, every table, as
    scripts have read it."""
    shown = counts if screen is None else {t: rows for t, rows in counts.items() if rows}
    for table, rows in shown.items():
        click.echo(f"  {table:<20} {rows:>9}")
    if others := len(counts) - len(shown):
        tables = "table" if others == 1 else f"{others} tables"
        click.echo(f"  0 rows in the{' other' if shown else ''} {tables}")

"""The ``smm-tracker`` command line: the only place that prints or exits.

Commands are thin: parse arguments, call the tracker, render. Every expected
failure becomes one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
import gc
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tracker import __version__
from tracker.cli.command import ARGV, OneLineUsageError, TrackerCommand, complete_path, one_line
from tracker.cli.command_table import COMMAND_HELP, COMMAND_MODULES
from tracker.cli.hoist import hoist_global_options
from tracker.errors import (
    ConfigError,
    EnvironmentProblem,
    PanelChoiceError,
    TrackerError,
)
from tracker.redact.scrub import redact_text

if TYPE_CHECKING:  # imported where used: `--version` and `--help` need neither
    from pathlib import Path

    from tracker.config.model import Config

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
EARLY_STOP = "smm_tracker.early_stop"  # ctx.meta: `run`'s Signals, caught before it loads


def fail(message: str, code: int = EXIT_FAILED, details: Sequence[str] = ()) -> NoReturn:
    """Print message and details on stderr, secrets blanked, control chars escaped; exit.
    Into the journal, each line is an error's (``<3>``): ``journalctl -p err`` shows it.

    Nothing heavy is imported here: a Ctrl-C that landed inside a lazy import
    (structlog's of asyncio) leaves that module half-loaded, and importing it
    again raised a NameError, a traceback instead of this line. Should even
    the small modules it asks for fail so, the line is escaped by ``repr``."""
    lines = [f"smm-tracker: {message}", *(f"  {detail}" for detail in details)]
    try:  # on a terminal wrapped at its words, as the notes are
        from tracker.cli.screen import error_text  # on the way out: --version

        text = error_text([redact_text(line) for line in lines])
    except Exception:  # a module half-loaded by a stop (see above): no traceback even so
        text = "\n".join(repr(redact_text(line))[1:-1] for line in lines)
    click.echo(text, err=True)
    sys.exit(code)


def interrupted(exc: BaseException | None = None) -> NoReturn:
    """Exit for a Ctrl-C (or a SIGTERM, :mod:`tracker.cli.stops`) no command
    handled: click said "Aborted!" and exited 1; 130 (143) as every command does."""
    try:
        from tracker.cli.stops import ending
    except Exception:  # half-loaded by the stop itself (see fail): a SIGTERM's is loaded
        fail("interrupted", EXIT_INTERRUPTED)
    fail(*ending(exc or KeyboardInterrupt()))


def handle_errors(fn: F) -> F:
    """Turn the tracker's own errors into one line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PanelChoiceError as exc:  # the option's mistake: "config:" sent one to the file
            fail(f"--panel: {exc.problems[0]}", EXIT_USAGE)
        except ConfigError as exc:
            where = f"config {exc.file}" if exc.file else "config"
            if len(exc.problems) == 1:
                fail(f"{where}: {exc.problems[0]}", EXIT_USAGE)
            fail(f"{where} has {len(exc.problems)} problems:", EXIT_USAGE, exc.problems)
        except EnvironmentProblem as exc:  # fixed before the command can run, as a config's
            fail(str(exc), EXIT_USAGE)
        except TrackerError as exc:  # OutcomeUnknownError and every panel error too
            fail(str(exc), EXIT_FAILED)
        except KeyboardInterrupt as exc:  # a SIGTERM too, to a command that writes
            interrupted(exc)

    return wrapper  # type: ignore[return-value]


class Context:
    """Lazily loaded config, shared by the commands of one invocation."""

    def __init__(
        self, config_path: str | None, log_level: str | None, log_format: str | None = None
    ):
        self.config_path = config_path
        self.log_level = log_level
        self.log_format = log_format

    def config(
        self,
        *,
        keys: bool = True,
        logs: bool = True,
        daemon: bool = False,
        database: Path | None = None,
        started: Path | None = None,
    ) -> Config:
        """Load the config (:mod:`tracker.cli.configured`); set up logging unless
        ``logs`` is False (read-only commands log nothing, and structlog costs
        them a noticeable start-up). ``database`` (a read command's
        ``--database``) replaces its ``database.path``, and needs no config
        when none is named or found. ``started``: the daemon's reload, the
        file it started with, read again whatever the search would find."""
        from tracker.cli.configured import command_config

        return command_config(
            self.config_path,
            self.log_level,
            self.log_format,
            keys=keys,
            logs=logs,
            daemon=daemon,
            database=database,
            started=started,
        )


pass_ctx = click.make_pass_decorator(Context)


class _Group(click.Group):
    """The command group: commands loaded on demand, one-line usage errors,
    global options taken after the command too."""

    command_class = TrackerCommand

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except OSError as exc:  # a full disk under the output (even --help's), a name too long
            from tracker.cli.output import output_failed

            output_failed(exc)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            hoisted = hoist_global_options(args)
        except ValueError as exc:  # `orders --config` without its value
            if not ctx.resilient_parsing:
                raise OneLineUsageError(str(exc), ctx) from None
            # Completing that value: the command takes it (TrackerCommand.get_params).
            hoisted = [*hoist_global_options(args[:-1]), args[-1]]
        return super().parse_args(ctx, hoisted)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [n for n in self.list_commands(ctx) if n in COMMAND_HELP or self._visible(ctx, n)]
        rows = [(name, COMMAND_HELP.get(name) or self._short_help(ctx, name)) for name in names]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def _visible(self, ctx: click.Context, name: str) -> bool:
        command = self.get_command(ctx, name)
        return command is not None and not command.hidden

    def _short_help(self, ctx: click.Context, name: str) -> str:
        command = self.get_command(ctx, name)
        return command.get_short_help_str(limit=70) if command is not None else ""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            # Importing the module attaches its commands to `main`.
            importlib.import_module(f"tracker.cli.{module}")
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name == "run" and not ctx.resilient_parsing:  # before its modules load
            from tracker.cli.early import catch_for_run

            catch_for_run(ctx, EARLY_STOP)  # most of its start: a SIGTERM then kept
        try:
            found = super().resolve_command(ctx, args)
        except click.UsageError as exc:  # "No such command 'order'.": which was meant
            _stopped_while_loading(ctx, name)
            import difflib

            guessed = _GUESSED.get(args[0])  # another tool's word: nothing close to it here
            close = [guessed] if guessed else []
            close = close or difflib.get_close_matches(args[0], self.list_commands(ctx), n=1)
            if not close or ctx.resilient_parsing or "Did you mean" in exc.message:
                raise
            raise click.UsageError(f"{exc.message} Did you mean '{close[0]}'?", ctx) from None
        if not gc.isenabled():  # the console script's start (tracker.cli.entry): loaded now
            gc.freeze()  # what loaded lives as long as the process: out of every pass
            gc.enable()
        _stopped_while_loading(ctx, name)  # its module loaded, before its options are read
        return found

    def make_context(
        self, info_name: str | None, args: list[str], *rest: Any, **kwargs: Any
    ) -> click.Context:
        argv = list(args)  # the user's words, for an error to say them cut
        try:
            ctx = super().make_context(info_name, args, *rest, **kwargs)
        except click.UsageError as exc:
            raise one_line(exc, argv) from None
        except KeyboardInterrupt as exc:
            interrupted(exc)
        except OSError as exc:  # --help, --version to `| head -1`: 141, as git and grep
            from tracker.cli.output import closed_pipe

            closed_pipe(exc)
        ctx.meta[ARGV] = argv
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise one_line(exc, ctx.meta.get(ARGV, ())) from None
        except KeyboardInterrupt as exc:
            interrupted(exc)
        except OSError as exc:  # a command's output to `| head -1`: 141, as git and grep
            from tracker.cli.output import closed_pipe

            closed_pipe(exc)


# The words a newcomer tries first, from other tools (git's, a daemon's),
# and the command here that does it: `status` is each order's in `orders`.
_GUESSED = {
    **dict.fromkeys(("status", "list", "ls", "show"), "orders"),
    **dict.fromkeys(("start", "daemon", "serve"), "run"),
    "check": "doctor",
    **dict.fromkeys(("setup", "config", "configure"), "init"),
}


def _stopped_while_loading(ctx: click.Context, name: str) -> None:
    """Exit as the command's stop would when one came since the process began
    (:func:`tracker.cli.early.stop_while_loading`)."""
    from tracker.cli.early import stop_while_loading

    stopped = stop_while_loading(ctx, name)
    if stopped is not None:
        fail(*stopped)


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    shell_complete=complete_path,
    # Worded so that at 80 columns the path starts a line: click breaks a
    # line at a hyphen, and "/etc/smm-" over "tracker/config.toml" is no path.
    help="Config file (default: the first found of $SMM_TRACKER_CONFIG, ./tracker.toml, "
    "/etc/smm-tracker/config.toml). Also taken after the command.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error", "critical"], case_sensitive=False),
    help="Override logging.level (critical: only the daemon's own failures). "
    "Also taken after the command.",
)
@click.option(
    "--log-format",
    type=click.Choice(["console", "json", "text"], case_sensitive=False),
    help="Override logging.format: key=value lines, one JSON object per line, or lines for "
    "a person even piped (cron's mail; else only a terminal's). Also taken after the command.",
)
@click.version_option(__version__, prog_name="smm-tracker")
@click.pass_context
def main(
    ctx: click.Context, config_path: str | None, log_level: str | None, log_format: str | None
) -> None:
    """Track SMM panel orders: batched status polling, history in SQLite, refills, alerts."""
    ctx.obj = Context(
        config_path,
        log_level.lower() if log_level else None,
        log_format.lower() if log_format else None,
    )
    if ctx.invoked_subcommand is None:
        # A bare `smm-tracker` is a question, not a mistake: answer with the help.
        click.echo(ctx.get_help())
        ctx.exit(0)

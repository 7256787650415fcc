"""The class of every ``smm-tracker`` command: what all of them check and
complete alike, so no command has to remember it."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.hoist import GLOBAL_OPTIONS
from tracker.redact.scrub import redact_text

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple | list):  # multiple=True: --comments, --usernames
        for item in value:
            yield from _texts(item)


def _not_utf8(text: str) -> bool:
    # A byte that is not UTF-8 reaches Python as a lone surrogate (PEP 383):
    # SQLite, JSON and the panel's form all refuse it, deep inside the command.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class TrackerCommand(click.Command):
    """A command whose text options are UTF-8 and whose ``--panel`` is not
    empty (else one usage line, exit 2), that refuses to run with stdout closed
    (but ``run``), whose slow database writes name it, and whose completion
    knows the global options it also takes."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            rest = super().parse_args(ctx, args)
        except click.UsageError as exc:
            # click's parser raises "Option '--link' requires an argument."
            # without the command: its line would point at the program's help.
            exc.ctx = exc.ctx or ctx
            raise

        if ctx.resilient_parsing:  # completing: never an error
            return rest
        if ctx.params.get("panel") == "":
            # `--panel "$UNSET"`: every panel to a read command, refused by the others.
            raise click.UsageError("--panel is empty: name a panel, or leave the option out", ctx)
        for param in self.get_params(ctx):
            if not isinstance(param, click.Option) or not isinstance(
                param.type, click.types.StringParamType
            ):
                continue  # order IDs say "not an order ID"; paths may be any bytes
            for text in _texts(ctx.params.get(param.name or "")):
                if _not_utf8(text):
                    from tracker.panel.values import said

                    option = max(param.opts, key=len)
                    raise click.UsageError(f"{option}: {said(text)} is not UTF-8 text", ctx)
        return rest

    def invoke(self, ctx: click.Context) -> Any:
        # `>&-`: Python has no stdout, and click.echo writes nowhere without a
        # word. The daemon writes its logs to stderr: its stdout may be closed;
        # `run --once` says so after its jobs (tracker/cli/run.py).
        if sys.stdout is None and self.name != "run":
            click.echo("smm-tracker: cannot write the output: stdout is closed", err=True)
            ctx.exit(1)
        # A write that waits long for the database says which command it was
        # (`what=track`), not "MainThread": the name, never an argument.
        from tracker.store.write_waits import COMMAND

        named = COMMAND.set(self.name or "smm-tracker")
        try:
            return super().invoke(ctx)
        finally:
            COMMAND.reset(named)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        if not ctx.resilient_parsing or ctx.parent is None:
            return params
        # Shell completion: `smm-tracker orders --log-level <TAB>` completes the
        # group's option like `smm-tracker --log-level <TAB>` does (the group
        # moves them before the command when it runs).
        root = ctx.find_root().command.params
        shared = [p for p in root if isinstance(p, click.Option) and p.opts[0] in GLOBAL_OPTIONS]
        return [*params, *shared]


class OnceCommand(TrackerCommand):
    """A command that sends on its options' values (``add`` spends money on
    them, ``cancel`` and ``refill`` act on the ``--panel`` named): an option
    given twice, but for the repeatable ones, is refused before anything is
    sent, where click takes the last one given without a word."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            try:
                _opts, _rest, order = self.make_parser(ctx).parse_args(args=list(args))
            except click.UsageError:
                order = []  # said by the parse below, as by any command
            seen: set[str] = set()
            for param in order:
                if not isinstance(param, click.Option) or param.is_eager:  # --help
                    continue
                if param.multiple or param.count:  # --comments, --usernames
                    continue
                if param.name in seen:
                    option = max(param.opts, key=len)
                    raise click.UsageError(
                        f"{option} given twice: give it once (nothing sent)", ctx
                    )
                seen.add(param.name or "")
        return super().parse_args(ctx, args)


ARGV = "smm_tracker.argv"  # ctx.meta: the words of the command line


class OneLineUsageError(click.UsageError):
    """A usage mistake shown as one line, like every other error of the CLI
    (click's own display puts the usage block before it): on a terminal
    wrapped at its words, as the error lines are (piped: one line)."""

    def show(self, file: Any = None) -> None:
        from tracker.cli.screen import error_text

        where = self.ctx.command_path if self.ctx is not None else "smm-tracker"
        click.echo(error_text([f"smm-tracker: {self.message} (see '{where} --help')"]), err=True)


# click >= 8.2 shows the help of a bare group through a UsageError: keep that as is.
_KEEP: tuple[type[Exception], ...] = (
    OneLineUsageError,
    getattr(click.exceptions, "NoArgsIsHelpError", OneLineUsageError),
)


def _cut(message: str, argv: Sequence[str]) -> str:
    """Given click's message and the words of the command line, return the
    message with each word too long to say back whole said cut, as the CLI's
    own messages say the user's text (panel.values.said): click quotes it whole."""
    from tracker.panel.values import SHOWN, said, short

    words = {w for arg in argv for w in (arg, *arg.split("=", 1)) if len(w) > SHOWN}
    for word in sorted(words, key=len, reverse=True):  # `--x=WORD`: the whole, then WORD
        message = message.replace(repr(word), said(word)).replace(word, short(word, SHOWN))
    return message


def one_line(exc: click.UsageError, argv: Sequence[str] = ()) -> click.UsageError:
    """Given click's usage error and the command line's words (``argv``),
    return it as one line, the user's words in it cut."""
    if isinstance(exc, _KEEP):
        return exc
    message = _cut(exc.format_message(), argv)
    # `track -5`: click takes a negative number for an option.
    params = exc.ctx.command.params if exc.ctx is not None else []
    takes_ids = any(p.name in ("order_id", "order_ids") for p in params)
    if isinstance(exc, click.NoSuchOption) and exc.option_name[1:].isdigit() and takes_ids:
        message += " Order IDs are positive whole numbers."
    return OneLineUsageError(redact_text(message), exc.ctx)


def complete_path(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Complete a PATH option's value with the shell's own file names."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]

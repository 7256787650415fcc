"""The class of every ``smm-tracker`` command: what all of them check and
complete alike, so no command has to remember it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.hoist import GLOBAL_OPTIONS

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
    (but ``run``), and whose completion knows the global options it also takes."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
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
                    option = max(param.opts, key=len)
                    raise click.UsageError(f"{option}: {text!r} is not UTF-8 text", ctx)
        return rest

    def invoke(self, ctx: click.Context) -> Any:
        # `>&-`: Python has no stdout, and click.echo writes nowhere without a
        # word. The daemon writes its logs to stderr: its stdout may be closed.
        if sys.stdout is None and self.name != "run":
            click.echo("smm-tracker: cannot write the output: stdout is closed", err=True)
            ctx.exit(1)
        return super().invoke(ctx)

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


def complete_path(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Complete a PATH option's value with the shell's own file names."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]

"""The class of every ``smm-tracker`` command: what all of them check alike,
so no command has to remember it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click


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
    """A command whose text options are UTF-8 (else one usage line, exit 2)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        if ctx.resilient_parsing:  # completing: never an error
            return rest
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

"""Asking the person at the terminal before a command acts (``cancel``, ``prune``)."""

from __future__ import annotations

import sys

import click

from tracker.cli.stops import Stopped


def interactive() -> bool:
    """True when a person can answer a question (stdin and stdout are terminals)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask(question: str) -> bool:
    """Ask ``question`` once, No by default; Ctrl-D or Ctrl-C at the prompt is
    No. A SIGTERM there (:class:`tracker.cli.stops.Stopped`, which click
    turned into its Abort too) is the command's stop, raised again: it read
    as a No, exit 1, where every other moment of the command exits 143."""
    try:
        return click.confirm(question, default=False)
    except click.Abort as exc:
        # The cursor is still after the question: what follows starts a line
        # ("...? [y/N]: smm-tracker: nothing canceled" it read after a Ctrl-D).
        click.echo()
        if isinstance(exc.__context__, Stopped):
            raise exc.__context__ from None
        return False

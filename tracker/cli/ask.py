"""Asking the person at the terminal before a command acts (``cancel``, ``prune``)."""

from __future__ import annotations

import sys

import click

from tracker.cli.stops import Stopped


def interactive() -> bool:
    """True when a person can answer a question (stdin and stdout are terminals)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


_YES = ("y", "yes")
_NO = ("n", "no", "")  # Enter alone: the default
# Said on stderr, as the tool's other lines, then the question again (click's
# own was "Error: invalid input", saying nothing of what it wanted).
_WHAT_TO_ANSWER = "smm-tracker: answer y (yes) or n (no; Enter alone is no)"


def ask(question: str) -> bool:
    """Ask ``question`` until answered y or n (either case, ``yes`` and ``no``
    too), No by default; anything else is told what to answer and asked
    again. Ctrl-D (the input's end) or Ctrl-C at the prompt is No. A SIGTERM
    there (:class:`tracker.cli.stops.Stopped`, which click turned into its
    Abort too) is the command's stop, raised again: it read as a No, exit 1,
    where every other moment of the command exits 143."""
    try:
        while True:
            said = click.prompt(f"{question} [y/N]", default="", show_default=False)
            answer = said.strip().lower()
            if answer in _YES or answer in _NO:
                return answer in _YES
            click.echo(_WHAT_TO_ANSWER, err=True)
    except click.Abort as exc:
        # The cursor is still after the question: what follows starts a line
        # ("...? [y/N]: smm-tracker: nothing canceled" it read after a Ctrl-D).
        click.echo()
        if isinstance(exc.__context__, Stopped):
            raise exc.__context__ from None
        return False

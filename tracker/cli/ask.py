"""Asking the person at the terminal before a command acts (``cancel``, ``prune``)."""

from __future__ import annotations

import sys

import click


def interactive() -> bool:
    """True when a person can answer a question (stdin and stdout are terminals)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask(question: str) -> bool:
    """Ask ``question`` once, No by default; Ctrl-D or Ctrl-C at the prompt is No."""
    try:
        return click.confirm(question, default=False)
    except click.Abort:
        # The cursor is still after the question: what follows starts a line
        # ("...? [y/N]: smm-tracker: nothing canceled" it read after a Ctrl-D).
        click.echo()
        return False

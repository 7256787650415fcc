"""A stop signal come while a command starts, before it can handle one: kept
for ``run`` (its stop line and exit code), or the process ended as the
command's stop would end it. :mod:`tracker.cli.main` asks, once it knows the
command; the console script (:mod:`tracker.cli.entry`) caught the signals."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from tracker.signals import Signals, from_start

if TYPE_CHECKING:
    import click

UNTIL_STOPPED = ("demo", "simulate", "dashboard")  # a stop asked for: exit 0, as `run`'s


def for_run() -> tuple[Signals, Callable[[], None]] | None:
    """Given ``run`` about to load, return the flags a SIGTERM while it starts
    is kept in (for whoever takes them over: ``run --once``'s jobs, the daemon)
    and what puts the handler back when the command ends; None off the main
    thread (no signal can be caught there). The signals caught since the
    process began are taken over: a SIGTERM among them stops the run as one
    come later does. Raise KeyboardInterrupt for a Ctrl-C among them: the
    "interrupted" of a Ctrl-C while the run starts."""
    first = from_start()
    if first is not None:
        first.release(signal.SIGINT)
        if first.signals.stop and first.signals.signum == signal.SIGINT:
            raise KeyboardInterrupt
        return first.signals, first.release
    if threading.current_thread() is not threading.main_thread():
        return None
    early = Signals()
    return early, early.install_early()


def stopped_while_loading(name: str) -> tuple[str, int] | None:
    """Given the command ``name`` (not a ``run`` that took the signals over),
    put back the handlers the console script replaced; when a stop signal
    came since the process began, return the line and exit code its stop
    ends with: 143 for SIGTERM, 130 for Ctrl-C, 0 for the commands that run
    until one."""
    first = from_start()
    if first is None:
        return None
    first.release()
    if not first.signals.stop:
        return None
    signum = first.signals.signum
    said = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    return said, 0 if name in UNTIL_STOPPED else 128 + signum


def catch_for_run(ctx: click.Context, key: str) -> None:
    """Have a SIGTERM while ``run`` starts kept for it (``ctx.meta[key]``),
    not end the process before it can say so; the handler put back when the
    command ends (in-process callers: tests)."""
    caught = for_run()
    if caught is not None:
        ctx.meta[key], put_back = caught
        ctx.call_on_close(put_back)


def stop_while_loading(ctx: click.Context, name: str) -> tuple[str, int] | None:
    """Given the command ``name``, its module loaded: the line and exit code
    of a stop come since the process began (:func:`stopped_while_loading`;
    never for a ``run``, which took the signals over); else None, a SIGTERM
    to a command that does not take it itself raising from now on
    (:mod:`tracker.cli.stops`)."""
    if name == "run" and not ctx.resilient_parsing:
        return None
    stopped = stopped_while_loading(name)
    if stopped is not None:
        return stopped
    from tracker.cli.stops import OWN_STOPS, term_raises

    if name not in OWN_STOPS:  # a SIGTERM from now on ends it as a Ctrl-C does: 143
        ctx.call_on_close(term_raises())
    return None

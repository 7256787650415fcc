"""``smm-tracker demo``: the command, its options and its exit (the demo
itself is :mod:`tracker.cli.demo`'s)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import click

from tracker.cli.bounds import LONGEST, FiniteNumber, WholeNumber
from tracker.cli.main import EXIT_USAGE, fail, handle_errors, main
from tracker.service.signals import stop_signals
from tracker.signals import Stop


class _Folder(click.Path):
    """``--keep``'s folder, completed as one; a regular file named there is
    refused by the demo's own line, as a FIFO is (:mod:`tracker.cli.demo`),
    not click's "Directory '...' is a file"."""

    def __init__(self) -> None:
        super().__init__(file_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and os.path.isfile(value):
            return value
        return super().convert(value, param, ctx)


_TIMED = re.compile(r"\d\d:\d\d:\d\d  ")  # a demo's line of a transition or an alert
_TIME_WIDTH = len("12:00:00  ")


@main.command()
@click.option(
    "--orders",
    "count",
    default=9,
    show_default=True,
    type=WholeNumber(1, 500),
    help="Orders to place on the simulated panel.",
)
@click.option(
    "--speed",
    default=3.0,
    show_default=True,
    type=FiniteNumber(0.1, 600),
    help="Seconds per delivery stage in the simulator.",
)
@click.option(
    "--every",
    default=2.0,
    show_default=True,
    type=FiniteNumber(1, 600),
    help="Status poll interval, seconds.",
)
@click.option(
    "--duration",
    type=FiniteNumber(1, LONGEST),
    help="Stop after this many seconds at most (sooner once every order is final).",
)
@click.option(
    "--keep",
    type=_Folder(),
    help="Keep the demo database in this directory (made if missing).",
)
@handle_errors
def demo(count: int, speed: float, every: float, duration: float | None, keep: str | None) -> None:
    """Watch the tracker follow orders on a built-in simulated panel until every
    one is final (Ctrl-C stops it sooner).
    """
    from tracker.cli.demo import run_demo
    from tracker.cli.screen import fitted, stdout_screen
    from tracker.service.logs import configure

    if keep == "":  # `--keep "$UNSET"`: as a Path, the current directory
        fail("--keep is empty; name the folder to keep the database in", EXIT_USAGE)

    configure("warning", "console")
    stop = Stop()  # marked asked by a stop signal's handler, set by a thread of its own
    screen = stdout_screen()

    def echo(line: str) -> None:
        # A timed line wraps at its words under its time on a terminal (a
        # Completed line with over-delivery is ~85 columns); the commands it
        # names at the end stay whole, to be pasted.
        if line:
            click.echo(fitted(line, screen, _TIME_WIDTH) if _TIMED.match(line) else line)

    with stop_signals(stop) as asked:  # a Ctrl-C or SIGTERM, not --duration's end
        ended = run_demo(
            orders=count,
            speed=speed,
            every=every,
            duration=duration,
            keep=None if keep is None else Path(keep),
            stop=stop,
            echo=echo,
        )
    if asked:  # a stop asked for exits 0, whatever it showed
        return
    if not ended.placed:  # ended at once: it had nothing to watch
        fail("no order placed on the simulated panel, nothing to watch (see the lines above)")
    if not ended.shown:  # --duration ran out
        ran = f" in --duration's {duration:g} s" if duration is not None else ""
        fail(f"no status change{ran}: the orders placed were not polled (see the lines above)")

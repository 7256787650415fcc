"""The daemon commands: run (and run --once)."""

from __future__ import annotations

import sys

import click

from tracker.app import Tracker
from tracker.cli import Context, handle_errors, main, pass_ctx
from tracker.daemon import install_signal_handlers, run_daemon, run_once


@main.command()
@click.option("--once", is_flag=True, help="Run every job once, now, then exit (1 if any failed).")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="With --once: check every open order now, whatever its next-check time.",
)
@click.option("--panel", metavar="NAME", help="Only this panel's jobs.")
@pass_ctx
@handle_errors
def run(ctx: Context, once: bool, everything: bool, panel: str | None) -> None:
    """Run the tracker: poll statuses (and the other jobs) on their schedule."""
    if everything and not once:
        raise click.UsageError("--all goes with --once")
    config = ctx.config(keys=True)
    tracker = Tracker(config)
    tracker.everything = everything
    jobs = tracker.jobs()
    if panel is not None:
        name = config.panel(panel).name
        jobs = [job for job in jobs if job.name.endswith(f":{name}")]
    try:
        if once:
            sys.exit(0 if run_once(jobs) else 1)
        install_signal_handlers(tracker.stop_event)
        run_daemon(jobs, tracker.stop_event)
    finally:
        tracker.close()

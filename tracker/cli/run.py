"""The daemon command: run (and run --once)."""

from __future__ import annotations

import atexit
import gc
import signal
import sys
import time
from contextlib import nullcontext
from typing import TYPE_CHECKING

import click

from tracker.cli.main import EARLY_STOP, Context, handle_errors, main, pass_ctx
from tracker.cli.run_summary import jobs_ended, summary_line, summary_shown
from tracker.clock import boottime, utcnow
from tracker.jobs.due import due_jobs, record_succeeded
from tracker.jobs.tracker import Tracker
from tracker.panel.proxies import check_environment
from tracker.rules.counts import counted
from tracker.service.jobstats import JobStats
from tracker.service.lock import DatabaseLock
from tracker.service.once import run_stoppable, stop_bound
from tracker.service.runs import select_jobs
from tracker.store.alerts import latest_balance
from tracker.store.automation_spend import held_back
from tracker.store.capabilities import is_unsupported
from tracker.store.identity import created_alert
from tracker.store.orphans import tell_orphans
from tracker.store.refills import last_refill_row, refills_after

if TYPE_CHECKING:
    from tracker.config.model import Config
    from tracker.service.metrics_http import MetricsServer

SWITCH_INTERVAL = 0.0005  # seconds; see run()
_QUICK_EXIT: list[bool] = []  # the exit handler registered (once a process)


@main.command()
@click.option(
    "--once",
    is_flag=True,
    help="Run every job once, now, then exit: 1 if any failed, a panel refused the key,"
    " or a refill round was held.",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="With --once: check every open order now, whatever its next-check time.",
)
@click.option(
    "--due",
    is_flag=True,
    help="With --once: only the jobs whose interval has passed since their last "
    "successful run --once (the poll always): for cron.",
)
@click.option("--panel", metavar="NAME", help="Only this panel's jobs.")
@pass_ctx
@handle_errors
def run(ctx: Context, once: bool, everything: bool, due: bool, panel: str | None) -> None:
    """Run the tracker: poll statuses (and the other jobs) on their schedule."""
    if everything and not once:
        raise click.UsageError("--all goes with --once")
    if due and not once:
        raise click.UsageError("--due goes with --once")
    early = click.get_current_context().meta.get(EARLY_STOP)  # a SIGTERM while starting
    config = ctx.config(keys=True, daemon=not once)
    # The poll's single writer and its HTTP threads share the GIL: handing it
    # over every 0.5 ms instead of Python's 5 ms gets each answer read, and
    # stored, sooner (the all-change bench: polls ~5% closer to the panel's
    # pace at 1 ms, no more CPU; 0.5 ms: 20k at concurrency 4, three sets of
    # alternating runs, wall median 39-46 ms lower than 1 ms, CPU within noise).
    sys.setswitchinterval(SWITCH_INTERVAL)
    if panel is not None:
        config.panel(panel)  # an unknown name is a usage error, before anything starts
    # A proxy variable httpx cannot use refuses every call: said before
    # anything is made (the clients are built after the database).
    check_environment()
    # The daemon's metrics port first: a start it refuses makes nothing (no
    # lock file, no database); it is served once the jobs are built.
    listening = None if once else _metrics_first(config)
    # One daemon per database: a second `run` (even --once) stops here. A
    # start refused before its database is open (not a tracker database, a
    # disk full) leaves no lock file it made: no store_created at the next.
    # Its panel and config said in the lock file: `orders` tells what checks an order.
    alone = config.panel(panel).name if panel is not None else None
    # The panels it loaded too: `prune` keeps their marks (rewritten at each reload).
    names = [p.name for p in config.panels]
    lock = DatabaseLock(
        config.database.path, once=once, tidy=True, panel=alone, config=config.path, panels=names
    )
    with listening or nullcontext(), lock:
        if not once:
            # The daemon's own modules (metrics, systemd notify) load here:
            # `run --once` starts without them.
            from tracker.service.notify import Notifier
            from tracker.service.process import Service

            config_file = config.path  # what a reload reads again, wherever it was found
            service = Service(
                config,
                load=lambda: ctx.config(keys=True, daemon=True, started=config_file),
                notifier=Notifier.from_env(),
                panel=panel,
                lock=lock,
                signals=early,
                metrics=listening,
            )
            if not service.run():
                # Jobs still running past the stop bound: their threads would
                # keep the interpreter alive, so leave without them.
                from tracker.cli.output import leave_now

                leave_now(1)
            return
        # "Now" for the run's decisions (give-ups, rechecks, stalls): utcnow,
        # read from this module when the run starts, so a test running the
        # CLI in-process can hand it a later clock instead of sleeping; the
        # monotonic and boot clocks are the real ones either way.
        tracker = Tracker(
            config,
            clock=utcnow,
            monotonic=time.monotonic,
            boottime=boottime,
            stop_cuts_reads=False,  # a stop waits for calls on the wire
            once=True,  # the alerts' advice: the next run, not a reload
        )
        lock.opened()  # its lock file stays: a tracker ran on this database
        outcome = None
        try:
            tracker.watch.carry_outages()  # an outage an earlier run told: at debug
            tracker.everything = everything
            tracker.prejudge_in_polls()  # the stall watch's judging in the poll's waits
            left_out = tracker.warn_unconfigured(told_once=True)  # then at info
            # A -wal kept aside beside it: at warning the first time, then at info.
            tell_orphans(config.database.path, tracker.store, tracker.clock())
            if lock.database_gone:  # a new, empty database where an earlier run had one
                tracker.watch.alerter.raise_alert(created_alert(config.database.path))
            mark = last_refill_row(tracker.store)
            stats, jobs = JobStats(), select_jobs(tracker, config, panel)
            started, skipped = tracker.clock(), list[str]()
            if due:
                # A key refused by an earlier run: its probe at every run, so
                # a fixed key ends auth_failed at the next run, not at the
                # balance job's next turn (up to balance_every).
                probes = [f"balance:{name}" for name in sorted(tracker.watch.carried.paused)]
                jobs, skipped = due_jobs(tracker.store, jobs, started, always=probes)
            # What start-up made (modules, config, statements) lives through the
            # jobs: kept out of the collector's passes, which then scan only what
            # the jobs make (the all-change bench: half the time in gc).
            gc.freeze()
            try:
                outcome = run_stoppable(
                    *(jobs, stats, tracker.stop_event, stop_bound(config)),
                    on_stop=_stopping,
                    signals=early,
                )
            finally:
                gc.unfreeze()  # an embedding process (tests) collects them again
            _quick_exit()
            if outcome.abandoned:
                # Jobs still running (a second signal, or past the bound): see abandon.
                from tracker.cli.output import leave_now, said_if_possible

                tracker.abandon()  # what they committed stays; their threads not waited for
                said_if_possible(f"smm-tracker: {_stopped(outcome.signum)}: left running jobs")
                leave_now(outcome.exit_code)
            record_succeeded(tracker.store, stats.last_ok, started)  # for --due
            names = [config.panel(panel).name] if panel else [p.name for p in config.panels]
            asked = refills_after(tracker.store, mark)
            shown = summary_shown()  # a terminal: each line wrapped at its words
            for name in names:
                last = latest_balance(tracker.store, name)
                ran = [j.name for j in jobs if j.name.endswith(f":{name}")]
                failed, paused, held = jobs_ended(ran, stats, tracker.watch)
                poll = tracker.polls.get(name)
                waits = [n.split(":")[0] for n in skipped if n.endswith(f":{name}")]
                url = config.panel(name).url  # a row learned at another URL holds no more
                # Re-orders held for the daily cap's currency in this run, said: a
                # hold with no Partial kept back tells cron nothing.
                on_hold = held_back(tracker.store, name, started)
                line = summary_line(
                    *(name, poll, asked.get(name, 0), last, failed, waits, paused),
                    no_balance=is_unsupported(tracker.store, name, "balance", url),
                    held=held,
                    reorders_held=on_hold,
                )
                click.echo(shown(line))  # the currency: escaped
            for name, count in left_out.items():  # a panel name from the database: escaped
                orders = counted(count, "open order")
                click.echo(shown(f"{name}: {orders} not polled: not in the config"))
        except OSError as exc:  # a stop's status wins over a closed pipe's (141)
            if outcome is None or not outcome.signum:
                raise
            from tracker.cli.output import quiet_closed_pipe

            quiet_closed_pipe(exc)  # a pipe whose reader is gone; else raised on
        finally:
            tracker.close()
        code = outcome.exit_code
        if sys.stdout is None:  # `>&-`: the summary went nowhere; the jobs' work stays stored
            from tracker.cli.output import said_if_possible

            said_if_possible("smm-tracker: cannot write the output: stdout is closed")
            code = code or 1  # a stop's status wins, as over a closed pipe's
        if outcome.signum:
            from tracker.cli.output import last_said

            last_said(f"smm-tracker: {_stopped(outcome.signum)}")
        sys.exit(code)


def _metrics_first(config: Config) -> MetricsServer | None:
    """The daemon's metrics endpoint, listening (not served yet), or None
    without one; TrackerError when it cannot listen (another daemon of the
    database holding the port: its lock's words)."""
    if not config.metrics.enabled:
        return None
    from tracker.service.metrics_http import listen_first  # the daemon's alone

    listen = config.metrics
    return listen_first(listen.host, listen.port, config.database.path)


def _quick_exit() -> None:
    """Have the interpreter's exit skip its last garbage collection (~30 ms
    after a 20k-order poll on the bench machine): what is still alive then is
    freed with the process. What must be closed is closed before it (the
    database, the HTTP clients); logging flushes in its own exit handler."""
    if not _QUICK_EXIT:
        _QUICK_EXIT.append(True)
        atexit.register(gc.freeze)


def _stopping(bound: float) -> None:
    from tracker.cli.output import said_if_possible  # a line lost must not end the stop

    said_if_possible(
        f"smm-tracker: stopping: calls on the wire end within {bound:g} s "
        "(Ctrl-C again to leave now)"
    )


def _stopped(signum: int) -> str:
    """Return "interrupted" for Ctrl-C (as every command says it), else the signal's name."""
    if signum == signal.SIGINT:
        return "interrupted"
    return f"stopped by {signal.Signals(signum).name}"

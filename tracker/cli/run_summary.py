"""The summary `run --once` prints: a line per panel, what its jobs did (polled,
refills asked, the balance, the failed, paused and not-due jobs), as printed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tracker.jobs.poll import PollResult
from tracker.rules.money import currency_shown, money
from tracker.terminal import escape_controls, stdout_is_terminal

if TYPE_CHECKING:
    from tracker.jobs.watch import Watch
    from tracker.service.jobstats import JobStats


def summary_shown() -> Callable[[str], str]:
    """A summary line as printed: escaped (a currency, a panel name from the database); on
    a terminal, its moments as the CLI says them ("held until Nov 02 13:00 UTC") and
    wrapped at its words (piped, as cron or a script reads it: stored stamps, one line,
    no tables' module)."""
    if not stdout_is_terminal():
        return escape_controls
    from tracker.cli.screen import fitted, moments, terminal_screen

    screen = terminal_screen()
    return lambda line: fitted(moments(escape_controls(line), screen), screen)


def jobs_ended(
    names: Sequence[str], stats: JobStats, watch: Watch
) -> tuple[list[str], list[str], str | None]:
    """Given one panel's job names ("status:main"...) as run, return the kinds
    that failed, those a refused key stopped, and why its refill round was
    held (None: it was not). A job the key was refused to and one the pause
    then skipped are the same for a user (which asked first is the jobs'
    race): both paused (key refused), never failed. A round held while the
    panel's calls fail never ran: held, not failed."""
    refused, held = watch.refused_jobs, watch.held_jobs
    failed = [n for n in names if n in stats.last_failed and n not in refused and n not in held]
    paused = [n for n in names if stats.paused_by_job[n] or n in refused]
    why = next((held[n] for n in names if n in held), None)
    return [n.split(":")[0] for n in failed], [n.split(":")[0] for n in paused], why


def summary_line(
    name: str,
    poll: PollResult | None,
    refills: int,
    balance: dict[str, Any] | None,
    failed_jobs: Sequence[str] = (),
    not_due: Sequence[str] = (),
    paused: Sequence[str] = (),
    *,
    no_balance: bool = False,
    held: str | None = None,
    reorders_held: str | None = None,
) -> str:
    """Given what one `run --once` did on a panel, return its line of the summary:
    "main: 120 checked, 14 changed, 2 refills asked, balance 99.50 USD" ("no
    balance action" for a panel learned to have none; "(last stored)" after
    it when the balance job failed or was paused in this run), then
    the poll's failed status calls, the failed jobs, those a refused key paused,
    why the refill round was ``held`` (``refill_round_held``'s reason), why
    re-orders are held for the daily cap's currency (``reorders_held``) and
    (``--due``) the jobs not due, if any."""
    # The key refused to the poll: said by "paused (key refused): status", as
    # when the pause skipped the poll (its refusal is no failed status call).
    refused = poll is not None and poll.auth_failed
    if poll is None or (refused and not poll.checked and not poll.late):
        parts = ["statuses not checked"]
    else:
        parts = [f"{poll.checked} checked", f"{poll.transitions} changed"]
    parts.append(f"{refills} refill{'s' if refills != 1 else ''} asked")
    if no_balance:
        parts.append("no balance action")
    elif balance is None:
        parts.append("balance unknown")
    else:
        currency = f" {currency_shown(balance['currency'])}" if balance["currency"] else ""
        # not fetched in this run (its job failed, or paused): not a figure just read
        stale = " (last stored)" if "balance" in [*failed_jobs, *paused] else ""
        parts.append(f"balance {money(balance['balance'])}{currency}{stale}")
    if poll is not None and poll.late:
        parts.append(late_part(poll))
    # The poll's status calls only (its late checks' are in their part): a
    # failed balance, catalogue or refill call is named by its failed job.
    errors = len(poll.errors) - refused if poll is not None else 0
    tail = f"; {errors} failed status call{'s' if errors != 1 else ''}" if errors else ""
    if failed_jobs:
        tail += f"; failed jobs: {', '.join(failed_jobs)}"
    if paused:
        tail += f"; paused (key refused): {', '.join(paused)}"
    if held:
        tail += f"; refill round held: {held}"
    if reorders_held:
        tail += f"; re-orders held: {reorders_held}"
    if not_due:
        tail += f"; not due: {', '.join(not_due)}"
    return f"{name}: {', '.join(parts)}{tail}"


def late_part(poll: PollResult) -> str:
    """The summary's words for a poll's late checks of ended orders: "30 late
    checks (2 refunds, 1 failed)", the parenthesis only for what it found."""
    found = [f"{poll.refunds} refund{'s' if poll.refunds != 1 else ''}"] if poll.refunds else []
    found += [f"{poll.late_failed} failed"] if poll.late_failed else []
    more = f" ({', '.join(found)})" if found else ""
    return f"{poll.late} late check{'s' if poll.late != 1 else ''}{more}"

"""When a panel's refill round waits: while its calls fail.

A refill request into a failing panel ends ``Unknown``, which counts toward
``refill.max_requests``; the round waits instead (``refill_round_held``).
Not every failed call is the panel failing: the refill calls' own failures
are the round's to count, and an action that has failed in BROKEN_AFTER runs
of failures in a row, each ended by another call the panel answered (a panel
script's ``balance`` answering HTTP 500 every time while its status calls
answer), is broken, not a sign of a failing panel. The poll's own calls
(``status``) are never judged broken: status calls failing run after run while
the balance answers are the panel failing (``status_failing``), and the round
would work on what the poll could not refresh.

Under ``run --once`` (each run a process of its own) the counts are kept
in ``alert_state`` (:mod:`tracker.store.run_counts`), read at a run's
start: those whose action has not failed for :func:`counts_kept_for` are
forgotten (a count from a week ago says nothing of the action now).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from tracker.clock import iso
from tracker.config.model import ScheduleConfig

BROKEN_AFTER = 3  # runs of failures in a row an action failed in: broken, not the panel
OWN = ("refill", "refill_status")  # the round's own calls: they hold nothing
POLL = "status"  # the poll's calls: failing, they hold the round however long
KEPT_AT_LEAST = 3600.0  # seconds a count is kept across runs, whatever the schedule


def failed_runs(
    runs: Mapping[str, int], action: str, ok: bool, in_this_run: bool
) -> dict[str, int]:
    """Given each action's count of runs of failures in a row it failed in, one
    call's action and outcome, and whether that action already failed in the
    current run, return the counts after the call: an answer resets its
    action's count, a failure counts once per run."""
    counts = dict(runs)
    if ok:
        counts.pop(action, None)
    elif not in_this_run:
        counts[action] = counts.get(action, 0) + 1
    return counts


def held_by(
    failing_since: datetime | None,
    failed: Collection[str] | None,
    unreachable: bool,
    runs: Mapping[str, int] | None = None,
) -> str | None:
    """Given when a panel's run of failed calls began (None: its last call answered),
    the actions whose calls failed in that run, whether ``panel_unreachable`` is
    open and each action's count of runs it failed in (:func:`failed_runs`),
    return why its refill round waits, or None. A refill call failing alone
    holds nothing, nor does an action broken for good (BROKEN_AFTER runs), but
    the poll's (``status``) always does."""
    actions = list(failed or ())
    counts = runs or {}
    holding = [  # by name: the same hold says the same, whichever failed first
        a
        for a in sorted(set(actions))
        if a not in OWN and (a == POLL or counts.get(a, 0) < BROKEN_AFTER)
    ]
    if failing_since is not None:
        if actions and not holding:
            return None
        # The moment as every other log field and alert says it (ISO 8601, +00:00).
        since = iso(failing_since)
        return f"its calls have failed since {since} ({', '.join(holding) or 'a call'})"
    return "panel_unreachable is open" if unreachable else None


def counts_kept_for(unreachable_after: float, schedule: ScheduleConfig) -> float:
    """Given ``alerts.unreachable_after`` and the schedule, return how long
    (seconds) a count is kept across ``run --once`` runs without its action
    failing again: twice the longest of the jobs' intervals (an action is
    asked once a run of its job; ``services_every`` by default: 12 hours),
    twice ``unreachable_after``, an hour at least."""
    longest = max(
        schedule.status_max_every,
        schedule.services_every,
        schedule.balance_every,
        schedule.refill_every,
    )
    return max(KEPT_AT_LEAST, 2 * unreachable_after, 2 * longest)


def counts_kept(
    stored: Mapping[str, tuple[int, datetime]], now: datetime, kept_for: float
) -> dict[str, int]:
    """Given each action's count as an earlier run stored it, with when it
    was stored, now and :func:`counts_kept_for`, return those still valid:
    stored within ``kept_for`` (not later than now: a clock set back since
    makes its time unknown), above 0."""
    return {
        action: count
        for action, (count, at) in stored.items()
        if count > 0 and 0 <= (now - at).total_seconds() <= kept_for
    }

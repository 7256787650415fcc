"""Pure decisions on a panel's episodes: reachability judged call by call
(``panel_unreachable``, ``panel_recovered``; a failing run's count across
clock steps), the key's ``auth_failed`` episode, and which open episodes make
a panel blind. Their words: :mod:`tracker.rules.reachability`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from tracker.rules.alerts import AUTH_FAILED, AUTH_RECOVERED, PANEL_RECOVERED, PANEL_UNREACHABLE
from tracker.rules.clocksteps import NO_GAP, Gap, counted_from
from tracker.rules.episodes import Episode, stored_run

# While one of these episodes is open for a panel, nothing it stores is news
# (its stalls wait), and a poll's failures are already explained.
BLINDING = (PANEL_UNREACHABLE, AUTH_FAILED)


def panel_blind(episodes: Iterable[Episode | None]) -> bool:
    """Given a panel's episodes of some kinds (None: never stored), return
    whether one is open: the panel cannot be asked now."""
    return any(e is not None and e.active for e in episodes)


class Reachability(NamedTuple):
    """A panel's reachability: when its current run of failed calls began, the
    ``panel_unreachable`` episode (kept across restarts by the caller), and
    the clock's gaps while that episode was open (sleeps, steps either way):
    time the tracker did not watch it fail."""

    failing_since: datetime | None = None
    episode: Episode = Episode()
    skipped: Gap = NO_GAP


def judge_call(
    state: Reachability,
    ok: bool,
    now: datetime,
    unreachable_after: float,
    step: Gap = NO_GAP,
    began: datetime | None = None,
    anew: bool = False,
) -> tuple[Reachability, str | None]:
    """Given a panel's state and one call's outcome, return (new state, kind to raise).

    ``ok`` is True whenever the panel answered, even with its own error. The
    panel is unreachable once every call has failed for ``unreachable_after``
    seconds (judged as each call ends, its retries done: at most one call late);
    ``panel_unreachable`` is raised once per episode and ``panel_recovered``
    at the first answer after it. ``step``: the clock's gap since the panel's
    last call (:func:`~tracker.rules.clocksteps.clock_gap`). Forward (a VM
    resumed after hours asleep, the clock set ahead), the run counts from
    this failure, as one the clock was set back past does
    (:func:`counted_from`): no call failed in the gap. While the episode is
    open it is added to ``skipped``: the recovery's words leave it out.
    ``began``: when this call began (:func:`~tracker.rules.clocksteps.call_began`,
    None: not known): a run counts from its earliest failed call's start, not
    from the end of its retries (the alert came up to ``retry_budget`` late).
    An episode open since an earlier process (the last ``run --once`` from
    cron, a restart) is a run of failures begun at its ``since``: the refill
    round held says so (it said the failures began with this process's first).
    ``anew``: the panel's first call since it moved (another URL): a run not
    alerted yet is the old URL's, not carried (an open episode stays open
    until a call is answered: no second alert).
    """
    stepped = step.forward
    if anew and not state.episode.active:
        state = Reachability(skipped=state.skipped)
    failing = state.failing_since or stored_run(state.episode, now, unreachable_after)
    if failing is None and state.episode.active:  # open since an earlier process
        failing = state.episode.since  # (cron's last run, a restart): the run began then
    if ok:
        if state.episode.active:
            return Reachability(), PANEL_RECOVERED
        kept = failing or state.episode.since
        return (state, None) if kept is None else (Reachability(), None)
    since = now if stepped else counted_from(failing, now)
    if began is not None and not stepped:
        since = min(since, counted_from(began, now))
    if state.episode.active:
        return state._replace(failing_since=since, skipped=state.skipped + step), None
    if (now - since).total_seconds() < unreachable_after:
        return state._replace(failing_since=since, episode=Episode(False, since, now)), None
    return Reachability(since, Episode(True, since, now)), PANEL_UNREACHABLE


def judge_auth(episode: Episode, refused: bool, now: datetime) -> tuple[Episode, str | None]:
    """Given the ``auth_failed`` episode and whether the key was just refused,
    return (new episode, kind to raise): one ``auth_failed`` per episode, one
    ``auth_recovered`` when the key is accepted again."""
    if refused:
        return (episode, None) if episode.active else (Episode(True, now, now), AUTH_FAILED)
    return (Episode(), AUTH_RECOVERED) if episode.active else (episode, None)


def key_refused_message(panel: str, error: str, resumes: str | None, fix: str) -> str:
    """Given a panel, the words it refused the key with, what resumes its
    jobs in the daemon (None: ``run --once``, each run a new process, nothing
    to reload: the next run tries the key again) and what has the daemon
    take a fixed key (:func:`tracker.rules.not_answering.daemon_key_fix`:
    the key where the config sets it, then the restart or reload of the
    installed unit), return ``auth_failed``'s message."""
    if resumes is None:
        return (
            f"{panel}: the panel refused the API key ({error}); its jobs are paused in "
            "this run. The next run tries the key again; fix the key in the config (or "
            "the variable it names): the next run reads it."
        )
    return (
        f"{panel}: the panel refused the API key ({error}); its jobs are paused. "
        f"{resumes} once the key is accepted; {fix}."
    )

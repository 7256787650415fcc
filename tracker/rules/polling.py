"""Pure decision: a panel's status checks keep failing while it answers otherwise.

``panel_unreachable`` needs every call to fail, and ``auth_failed`` a refused
key; a poll can fail at every run with neither: the status action times out
or answers 500 while ``balance`` works, one order's item says "Invalid API
key" at every poll, a panel fails each multi call it is sent. Orders are
then no longer checked, and only the log said so. ``status_failing`` says it
once per episode, ``status_recovered`` when a poll checks every due order
again.

The episode's ``since`` is kept while it is not yet active (stored in
``alert_state`` like any episode, the last failed poll in its
``last_sent_at``), so the delay counts across restarts and across ``run
--once`` runs from cron; but not across a gap with no failed poll longer
than twice the poll's interval or ``after``, or an hour (a laptop asleep all
night, cron running nothing): the count starts again, as
``panel_unreachable``'s does (:func:`~tracker.rules.episodes.stored_run`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.rules.alerts import rough_duration
from tracker.rules.clocksteps import NO_GAP, Gap, counted_from
from tracker.rules.episodes import Alert, Episode, stored_run
from tracker.rules.watched import watched

STATUS_FAILING = "status_failing"
STATUS_RECOVERED = "status_recovered"

_ERROR_CHARS = 300  # of the last poll's error quoted in the message; data holds it all


def judge_poll(
    episode: Episode,
    failed: bool,
    now: datetime,
    after: float,
    *,
    explained: bool = False,
    stepped: bool = False,
    began: datetime | None = None,
    every: float = 0.0,
    anew: bool = False,
) -> tuple[Episode, str | None]:
    """Given the ``status_failing`` episode and whether a poll just ended with
    orders left unchecked, return (new episode, kind to raise).

    Raised once the polls have failed without a break for ``after`` seconds,
    unless ``explained`` (an open ``panel_unreachable`` or ``auth_failed``
    episode already says why): those failures are that episode's, counted in
    no run of this one's, so a run counts afresh from the first failed poll
    after it ends (counted through it, a key refused all night raised
    ``status_failing`` "for 8h" at the first failed poll after the fix).
    ``status_recovered`` at the first poll that leaves nothing unchecked
    after it was raised; a failing run that never alerted ends
    quietly. ``stepped``: the wall clock stepped forward since the panel's
    last poll (:func:`tracker.rules.clocksteps.stepped_forward`): the run counts
    from this poll, as one the clock was set back past does. ``began``: when
    the poll's first failed status call began
    (:meth:`tracker.jobs.reach.Reach.poll_ended`; None: none, or not known):
    the run counts from then, not from the poll's end after its retries.
    ``every``: the poll's interval; a run whose last failed poll is older
    than twice it or ``after``, or an hour, is over: it counts afresh.
    ``anew``: the panel moved (another URL) since the run's last failed poll:
    a run not alerted yet is the old URL's, not carried; this one counts afresh.
    """
    if not failed:
        if episode.active:
            return Episode(), STATUS_RECOVERED
        return Episode(), None
    if episode.active:
        return episode, None
    if explained:  # the explaining episode's failures, not a run of this one's
        return Episode(), None
    kept = None if anew else stored_run(episode, now, max(after, every))  # None: none going
    since = now if stepped else counted_from(kept, now)
    if began is not None and not stepped:
        since = min(since, counted_from(began, now))
    if (now - since).total_seconds() < after:
        return Episode(False, since, now), None
    return Episode(True, since, now), STATUS_FAILING


def failing_alert(panel: str, since: datetime, now: datetime, errors: list[str]) -> Alert:
    """Given a panel, when its polls began failing, now and the last poll's
    errors, return the ``status_failing`` alert."""
    lasted = rough_duration((now - since).total_seconds())
    last = errors[-1].removeprefix(f"{panel}: ") if errors else "no error recorded"
    if len(last) > _ERROR_CHARS:
        last = last[: _ERROR_CHARS - 1] + "…"
    message = f"{panel}: status checks have left orders unchecked at every poll for {lasted}: "
    message += last
    data: dict[str, Any] = {
        "since": since.isoformat(timespec="seconds"),
        "errors": errors[-10:],
    }
    return Alert(STATUS_FAILING, message, panel=panel, data=data)


def recovered_alert(panel: str, since: datetime | None, now: datetime, gap: Gap = NO_GAP) -> Alert:
    """Return the ``status_recovered`` alert of a panel whose polls failed
    since ``since``: the time the tracker watched them fail, the clock's
    gaps meanwhile (``gap``: a sleep, a step) left out and named as
    ``panel_recovered`` names them (:mod:`tracker.rules.watched`)."""
    seen = watched(since or now, now, gap)
    message = f"{panel}: status checks work again after {seen.lasted} of failed polls{seen.aside}"
    data = {"since": since.isoformat(timespec="seconds")} if since else {}
    return Alert(STATUS_RECOVERED, message, panel=panel, data={**data, **seen.data})

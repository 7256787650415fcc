"""The words of a panel's reachability alerts: ``panel_unreachable``, ``panel_recovered``.

:func:`tracker.rules.reach_episodes.judge_call` decides when they are raised; this
says them. ``panel_unreachable`` quotes the last failed call's error, so the
operator reads why without going to the log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.panel.values import quoted
from tracker.redact.scrub import redact_text
from tracker.rules.alerts import PANEL_RECOVERED, PANEL_UNREACHABLE, rough_duration
from tracker.rules.clocksteps import NO_GAP, Gap
from tracker.rules.episodes import Alert
from tracker.rules.watched import watched

ERROR_CHARS = 200  # of the last error quoted in the message
_DATA_CHARS = 1000  # of the last error in data (the transport's words are shorter)


def last_error(panel: str, error: str) -> str:
    """Given a panel and a failed call's error, return it fit to quote: the
    panel's name taken off the front, every registered secret blanked (before
    any cut: a secret cut in two is no longer found), at most ``_DATA_CHARS``."""
    said = redact_text(error.removeprefix(f"{panel}: "))
    return said if len(said) <= _DATA_CHARS else said[: _DATA_CHARS - 1] + "…"


def unreachable_alert(
    panel: str, since: datetime, now: datetime, action: str, error: str | None
) -> Alert:
    """Given a panel, when its calls began failing, now, and the last failed
    call's action and error (None: unknown), return the ``panel_unreachable``
    alert: the error quoted in the message (one line, cut to ``ERROR_CHARS``,
    control characters escaped), whole in ``data.last_error``."""
    lasted = rough_duration((now - since).total_seconds())
    message = f"{panel}: unreachable, every call has failed for {lasted}"
    data: dict[str, Any] = {"since": since.isoformat(timespec="seconds"), "last_action": action}
    if error:
        said = last_error(panel, error)
        message += f"; last error ({action}): {quoted(said, ERROR_CHARS)}"
        data["last_error"] = said
    return Alert(PANEL_UNREACHABLE, message, panel=panel, data=data)


def reachable_alert(panel: str, since: datetime, now: datetime, gap: Gap = NO_GAP) -> Alert:
    """Given a panel, when it became unreachable, now, and the clock's gaps
    meanwhile (:attr:`~tracker.rules.reach_episodes.Reachability.skipped`), return
    ``panel_recovered``. It says how long the tracker watched the panel fail,
    and names the gaps (:mod:`tracker.rules.watched`): a laptop asleep 8 hours
    two minutes into an outage said "after 8h2m unreachable"."""
    seen = watched(since, now, gap)
    message = f"{panel}: answering again after {seen.lasted} unreachable{seen.aside}"
    data = {"since": since.isoformat(timespec="seconds"), **seen.data}
    return Alert(PANEL_RECOVERED, message, panel=panel, data=data)

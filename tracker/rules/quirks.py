"""A panel's quirks told once across processes, not once a process.

A panel's quirks (``panel_prints_notices``: PHP notices around its JSON;
``absurd_number``: a number no parser reads; ``remains_not_a_delivery_figure``;
``balance_currency_twice``: a balance answer's ``currency`` given two ways;
``charge_negative_dropped``: a status answer's negative charge;
``remains_unreadable``: a status answer's remains no count is read from;
``status_charge_twice``, ``status_currency_twice``: a status item's given
two ways; ``status_answer_with_error_code``: statuses answered with a 4xx;
``answer_with_error_code``: refills' statuses, refill IDs or cancels so,
or an order, a refill ID or a cancel answered with a 429;
``panel_answers_part_of_each_call``: fewer orders per status call than asked)
are warned once per panel (and field, or order) in a process. Under cron each
``run --once`` is a process of its own: every run warned them again, a mail
a minute at ``--log-level warning``, for a panel that has always been so.

Told once per panel and quirk instead: each is kept in ``alert_state``
(no alert) under its line's name and the panel's URL (a digest of it:
:func:`quirk_kind`), ``since`` the first time told, ``last_sent_at`` the
last time seen. A process that finds it seen within :data:`ABSENT` logs it
at debug; absent longer, or at another URL, it is told again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.panel.urls import shown_url
from tracker.rules.episodes import Episode

PANEL_PRINTS_NOTICES = "panel_prints_notices"
ABSURD_NUMBER = "absurd_number"
REMAINS_ODD = "remains_not_a_delivery_figure"
CURRENCY_TWICE = "balance_currency_twice"
CHARGE_NEGATIVE = "charge_negative_dropped"  # said by panel/status_calls.py
REMAINS_UNREADABLE = "remains_unreadable"  # said by panel/status_calls.py
# A status item's ``charge`` or ``currency`` given twice, differently: both
# said by panel/status_calls.py.
STATUS_CHARGE_TWICE = "status_charge_twice"
STATUS_CURRENCY_TWICE = "status_currency_twice"
# Orders' statuses answered with a 4xx: said by panel/interpret.py.
STATUS_WITH_ERROR_CODE = "status_answer_with_error_code"
# Refills' statuses, refill IDs given or cancels accepted answered with a 4xx:
# said by panel/interpret.py, its action a field.
ANSWER_WITH_ERROR_CODE = "answer_with_error_code"
# A panel answering part of each multi-status call (fewer than asked, the
# rest asked again): said by jobs/asking.py.
PARTIAL_ANSWERS = "panel_answers_part_of_each_call"
QUIRKS = (
    PANEL_PRINTS_NOTICES,
    ABSURD_NUMBER,
    REMAINS_ODD,
    CURRENCY_TWICE,
    CHARGE_NEGATIVE,
    REMAINS_UNREADABLE,
    STATUS_CHARGE_TWICE,
    STATUS_CURRENCY_TWICE,
    STATUS_WITH_ERROR_CODE,
    ANSWER_WITH_ERROR_CODE,
    PARTIAL_ANSWERS,
)
ABSENT = timedelta(days=1)  # a quirk not seen for this long is told again
SEEN_EVERY = timedelta(hours=1)  # how often a process stores a quirk it still sees


def quirk_kind(line: str, url: str) -> str:
    """Return the ``alert_state`` kind of a quirk's line at a panel URL:
    ``panel_prints_notices@<12 hex digits>``, a digest of the URL as errors
    show it (:func:`~tracker.panel.urls.shown_url`: its password, query
    values and the API key blanked, so no digest of a secret is stored): the
    same panel at another URL tells it again."""
    import hashlib  # here: OpenSSL's load is no read command's (~2 ms of its start)

    return f"{line}@{hashlib.sha256(shown_url(url).encode()).hexdigest()[:12]}"


def judge_quirk(episode: Episode, now: datetime) -> tuple[Episode, bool]:
    """Given a quirk as stored (never: ``Episode()``) and now, the quirk seen:
    return it after, and whether an earlier process told it (seen within
    :data:`ABSENT`; a clock set back counts as within)."""
    last = episode.last_sent_at or episode.since
    told = episode.since is not None and last is not None and now - last <= ABSENT
    return Episode(False, episode.since if told else now, now), told


def seen_again(episode: Episode, now: datetime) -> Episode | None:
    """Given a quirk as this process stored it and now, seen again: return
    what to store, when :data:`SEEN_EVERY` has passed since (or the clock was
    set back), else None."""
    last = episode.last_sent_at
    if last is not None and timedelta(0) <= now - last < SEEN_EVERY:
        return None
    return Episode(False, episode.since, now)

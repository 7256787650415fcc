"""The judgements :class:`~tracker.jobs.watch.Watch` makes after each poll of a
panel: ``status_failing`` (polls leaving orders unchecked, unless the panel is
blind) and ``unknown_status`` (open orders in status words the tracker does not
know). The callers catch what these raise: a poll's answers are stored.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import Clock
from tracker.config.model import Config
from tracker.jobs.reach import Reach
from tracker.rules.episodes import Alert, Episode
from tracker.rules.polling import (
    STATUS_FAILING,
    STATUS_RECOVERED,
    failing_alert,
    judge_poll,
    recovered_alert,
)
from tracker.rules.unknown_status import UNKNOWN_STATUS, judge_unknown, unknown_alert
from tracker.store.orders import Store
from tracker.store.readings import carries_unknown_words, unknown_words

log = structlog.get_logger("tracker.watch")


def judge_status(
    alerter: Alerter,
    reach: Reach,
    config: Config,
    panel: str,
    errors: list[str],
    begun_blind: bool,
    blind: Callable[[str], bool],
) -> None:
    looks, key = reach.looks, f"poll:{panel}"
    now, step, began = reach.poll_ended(panel, bool(errors))
    after_s = config.alerts.unreachable_after
    explained = begun_blind or blind(panel)
    every, anew = config.schedule.status_every, reach.begins_anew(panel)  # moved: counted anew
    ruled = partial(
        judge_poll, explained=explained, stepped=step.forward, began=began, every=every, anew=anew
    )

    def judge(episode: Episode) -> tuple[Episode, Alert | None]:
        gaps = looks.inside(key, episode.active, step)  # left out of its recovery's time
        after, kind = ruled(episode, bool(errors), now, after_s)
        if kind == STATUS_FAILING:
            return after, failing_alert(panel, after.since or now, now, errors)
        if kind == STATUS_RECOVERED:
            return after, recovered_alert(panel, episode.since, now, gaps)
        return after, None

    alerter.update(panel, STATUS_FAILING, judge)


def judge_unknown_words(alerter: Alerter, store: Store, clock: Clock, panel: str) -> None:
    present = carries_unknown_words(store, panel)
    now = clock()

    def judge(episode: Episode) -> tuple[Episode, Alert | None]:
        after, raise_it = judge_unknown(episode, present, now)
        if episode.active and not after.active:
            log.info("unknown_status_cleared", panel=panel, since=str(episode.since))
        elif after.active and not episode.active and not raise_it:  # back within the hour
            log.info("unknown_status_resumed", panel=panel, ended=str(episode.since))
        if not raise_it:
            return after, None
        found = unknown_words(store, panel)
        # None left since the look (untracked meanwhile): nothing to tell.
        return (after, unknown_alert(panel, found)) if found.orders else (episode, None)

    alerter.update(panel, UNKNOWN_STATUS, judge)

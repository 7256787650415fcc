"""What the tracker tells a :class:`tracker.jobs.watch.Watch` (a mixin of it), made
alerts: an order's transitions, the orders a panel lost, an action it lacks,
services listed twice, refill changes; after each poll, its open orders in status
words the tracker does not know (``unknown_status``) and its run of failing polls
(``status_failing``), unless the panel is blind (paused, unreachable, its key
refused). None of them fails the poll that told it: its answers are stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import Clock
from tracker.config.model import Config
from tracker.errors import StoreError
from tracker.jobs.base import Core
from tracker.jobs.poll_watch import judge_status, judge_unknown_words
from tracker.jobs.reach import Reach
from tracker.rules.alerts import order_alerts
from tracker.rules.catalogue import Ambiguous, ambiguous_alert
from tracker.rules.losses import lost_alerts, unsupported_alert
from tracker.rules.polling import STATUS_FAILING
from tracker.rules.reach_episodes import BLINDING, panel_blind
from tracker.rules.unread_refills import refill_change_alerts
from tracker.store.probes import drop_evidence

log = structlog.get_logger("tracker.watch")


class Listeners:
    """The listeners' and the poll's part of a Watch: what they tell, alerted."""

    tracker: Core
    config: Config
    clock: Clock
    alerter: Alerter
    paused: set[str]  # panels whose key was refused (KeyGate)
    reach: Reach  # each panel's run of failed calls

    def on_transitions(self, transitions: list[dict[str, Any]]) -> None:
        for alert in order_alerts(transitions):
            self.alerter.raise_alert(alert)

    def on_lost(self, lost: list[dict[str, Any]]) -> None:  # orders the panel lost
        for alert in lost_alerts(lost):
            self.alerter.raise_alert(alert)

    def on_unsupported(self, panel: str, action: str, words: str) -> None:  # an action it lacks
        self.alerter.raise_alert(unsupported_alert(panel, action, words))

    def on_ambiguous(self, panel: str, found: Sequence[Ambiguous]) -> None:  # services twice
        self.alerter.raise_alert(ambiguous_alert(panel, found))

    def after_poll(self, panel: str) -> None:
        """A poll of ``panel`` is done: one ``unknown_status`` alert when its open
        orders come to carry status words the tracker does not know, the episode
        closed once none does. Never raises: the poll's answers are stored."""
        try:
            judge_unknown_words(self.alerter, self.tracker.store, self.clock, panel)
        except StoreError as exc:  # judged again after the next poll
            log.error("unknown_status_unchecked", panel=panel, error=str(exc))
        except Exception:  # an alerting bug must never fail a poll
            log.exception("unknown_status_failed", panel=panel)

    def blind(self, panel: str) -> bool:
        """Whether ``panel`` cannot be asked now: paused, or an open
        ``panel_unreachable`` or ``auth_failed`` says why its calls fail."""
        told = [self.alerter.episode(panel, kind) for kind in BLINDING]
        return panel in self.paused or panel_blind(told)

    def failing_said(self, panel: str) -> bool:
        """Whether an open ``status_failing`` alert says ``panel``'s polls fail
        (None, the database unable to say: no)."""
        told = self.alerter.episode(panel, STATUS_FAILING)
        return told is not None and told.active

    def after_status(self, panel: str, errors: list[str], *, begun_blind: bool = False) -> None:
        """A poll of ``panel`` ended with ``errors``: ``status_failing`` once polls
        have left orders unchecked for ``alerts.unreachable_after`` (unless an
        open ``panel_unreachable`` or ``auth_failed`` says why, or was open when
        the poll began: its failed calls were made then, even when an answered
        one closed it), ``status_recovered`` at the first poll without. Never
        raises: the poll's answers are stored."""
        try:
            judge_status(
                self.alerter, self.reach, self.config, panel, errors, begun_blind, self.blind
            )
        except Exception:  # an alerting bug must never fail a poll
            log.exception("status_failing_unjudged", panel=panel)

    def on_refills(self, changes: list[dict[str, Any]]) -> None:
        judges = self.tracker.config.refill.detect == "panel"
        try:
            dropped = drop_evidence(self.tracker.store, changes) if judges else set()
        except StoreError as exc:  # unread: each of them alerts, as a real drop would
            log.warning("refill_drop_evidence_unread", error=str(exc))
            judges, dropped = False, set()
        for alert in refill_change_alerts(changes, panel_judges=judges, dropped=dropped):
            self.alerter.raise_alert(alert)

"""What became of each alert the webhook sink delivered, for
:class:`tracker.alerts.webhook.WebhookSink` (a mixin of it): each target's
outcome counted (the sink's counts and :data:`~tracker.alerts.deliveries.DELIVERIES`),
logged, and an alert a target did not take kept to be tried again
(:class:`~tracker.alerts.redeliver.Keeper`); a target's run of failures told
once (:class:`~tracker.alerts.deliveries.Outages`; the daemon's and
``run --once``'s kept across reloads and runs,
:class:`~tracker.alerts.outages_kept.KeptOutages`), its end in one line.
Apart from the sink's queue and thread, at its size limit.
"""

from __future__ import annotations

import structlog

from tracker.alerts.deliveries import DELIVERIES, FAILED, NOTIFY, SENT, WEBHOOK, Outages
from tracker.alerts.notify import NotifyTarget
from tracker.alerts.payloads import named
from tracker.alerts.redeliver import Keeper
from tracker.clock import iso
from tracker.rules.episodes import Alert

log = structlog.get_logger("tracker.webhook")


class Outcomes:
    """The sink's part that tells what became of each delivery."""

    _targets: list[NotifyTarget]
    _keeper: Keeper | None
    _took: set[str]
    _outages: Outages
    _gone: bool
    _attempts: int
    notified: int
    notify_failed: int
    sent: int
    failed: int

    def _posted(self, alert: Alert, late: str, attempts: int) -> str | None:
        raise NotImplementedError  # the sink's POST

    def _notified(self, alert: Alert, errors: list[str | None]) -> None:
        for target, error in zip(self._targets, errors, strict=True):
            if error is None:
                self.notified += 1
                self._took.add(target.name)
                DELIVERIES.count(NOTIFY, SENT)
                log.debug("notify_sent", alert=alert.kind, target=target.name)
                self._back(target.name)
            else:
                self.notify_failed += 1
                DELIVERIES.count(NOTIFY, FAILED)
                self._down(target.name, alert, error)
                if self._keeper is not None and not self._gone:
                    self._keeper.failed(alert, target.name, error)

    def _deliver(self, alert: Alert) -> None:
        error = self._posted(alert, "", self._attempts)
        if error is not None:
            self.failed += 1
            DELIVERIES.count(WEBHOOK, FAILED)
            self._down(WEBHOOK, alert, error)
            if self._keeper is not None and not self._gone:
                self._keeper.failed(alert, WEBHOOK, error)
            return
        self.sent += 1
        self._took.add(WEBHOOK)
        DELIVERIES.count(WEBHOOK, SENT)
        log.debug("webhook_sent", alert=alert.kind)
        self._back(WEBHOOK)

    def _down(self, target: str, alert: Alert, error: str, late: bool = False) -> None:
        """``target`` did not take ``alert`` (``late``: one kept and sent
        again): the first failure of its outage told at warning, the rest
        at debug (:meth:`Outages.failed`)."""
        tell = log.warning if self._outages.failed(target) else log.debug
        said = {"late": True} if late else {}
        if target == WEBHOOK:
            tell("webhook_failed", **named(alert), error=error, **said)
        else:
            tell("notify_failed", **named(alert), target=target, error=error, **said)

    def _down_again(self, target: str, alert: Alert, error: str) -> None:
        """``target`` did not take ``alert``, kept and sent again: a failure
        of its outage as a new alert's is (a cron run with only kept alerts
        to send told no outage, nor its end)."""
        self._down(target, alert, error, late=True)

    def _back(self, target: str) -> None:
        """``target`` took an alert (sent now, or again): a run of failures
        it ends is told in one line, with how many alerts it failed here and
        when it began (an earlier run's or sink's maybe), when known."""
        ended = self._outages.ended(target)
        if ended is None:
            return
        failed, since = ended
        began = {"since": iso(since)} if since is not None else {}
        if target == WEBHOOK:
            log.info("webhook_recovered", target=target, failed=failed, **began)
        else:
            log.info("notify_recovered", target=target, failed=failed, **began)

"""Cancelling stale Pending orders, and the base of one panel's automation job.

Part of :mod:`tracker.jobs.automation`. Each cancel is recorded (status
Sending) and committed before the multi ``cancel`` calls, which
:mod:`tracker.panel.cancel_groups` sends (as for the `cancel` command); the
unique index of ``automation_actions`` keeps any order from being sent
``cancel`` twice; only a call that canceled nothing and refused no order (it
never reached the panel, was answered that it is too busy, or the key was
refused) is forgotten and asked again next round (never retried at once).
With ``automation.dry_run`` nothing is sent and everything is recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import parse_iso
from tracker.config.model import AutomationConfig
from tracker.jobs.automation_said import AUTOMATION_CANCELED, SaysActions, tell_unstored
from tracker.jobs.refused_once import second_refusal, succeeded
from tracker.panel.cancel_groups import (
    ANSWERED,
    BUSY,
    KEY,
    NOT_SENT,
    STOPPED,
    UNSURE,
    Settled,
    cancel_in_groups,
)
from tracker.panel.client import PanelClient
from tracker.rules.capabilities import refused_once
from tracker.rules.clocksteps import SetAhead, set_ahead_since
from tracker.rules.losses import unsupported_alert
from tracker.rules.reorders import (
    CANCEL,
    DRY_RUN,
    REFUSED,
    REQUESTED,
    SENDING,
    UNKNOWN,
)
from tracker.rules.stale_pending import NOT_STALE, cancel_blocker
from tracker.rules.stalls import LATE_POLLS
from tracker.store import automation as sql
from tracker.store.automation_candidates import pending_candidates, service_facts
from tracker.store.cancels import ACCEPTED, record_cancels
from tracker.store.cancels import REFUSED as CANCEL_REFUSED
from tracker.store.cancels import UNKNOWN as CANCEL_UNKNOWN
from tracker.store.capabilities import is_unsupported, learn
from tracker.store.told_marks import told_of_panel, words_mark

log = structlog.get_logger("tracker.automation")
# the cancels table's result -> automation_actions status
_STATUS = {ACCEPTED: REQUESTED, CANCEL_REFUSED: REFUSED, CANCEL_UNKNOWN: UNKNOWN}

PAGE = 500


class PanelActions(SaysActions):
    """What one panel's automation job needs to act: the store, the client, the
    config, the alerter; and the stale-Pending cancels."""

    def __init__(
        self,
        store: Any,
        client: PanelClient,
        config: AutomationConfig,
        alerter: Alerter,
        *,
        clock: Callable[[], datetime],
        stop_event: threading.Event | None = None,
        status_max_every: float = 3600.0,
        status_every: float = 300.0,
        services_every: float = 6 * 3600.0,
    ):
        self.store = store
        self.client = client
        self.panel = client.name
        self.config = config
        self.alerter = alerter
        self.clock = clock
        self.stop = stop_event or threading.Event()
        # A row still Sending after this long belongs to a run that died.
        settings = client.panel
        self.grace = timedelta(seconds=settings.retry_budget + settings.timeout + 60)
        # A Pending status older than the slowest re-check of an open order plus
        # one round of this job is out of date: a poll missed it.
        self.fresh_for = status_max_every + config.every
        # A due order waits this long for its check before its status is out
        # of date for the stall watch (tracker.rules.stalls.confirmed).
        self.late = LATE_POLLS * status_every
        # A service's rate is the panel's until two catalogue syncs missed it
        # (and one round of this job): past that, what it costs is unknown.
        self.rates_for = 2 * services_every + config.every
        # Two checks of an open order further apart than its slowest re-check
        # allows, twice over: the tracker was stopped or its polls failing.
        self.watched_gap = 2 * status_max_every
        # A cancel call refused in a missing action's words, the first in a
        # row: this round sends no more (its orders asked again next round).
        self.refused_once = False
        self.unsent: list[str] = []  # the round's cancel_not_sent words
        self.ahead: tuple[SetAhead, ...] = ()  # the clock set ahead (AutomationRound's looks)

    # --- stale Pending -------------------------------------------------------------

    def cancel_stale(self) -> bool:
        """Cancel every polled order Pending for longer than cancel_pending_after
        whose service can cancel: one multi ``cancel`` per 100, never twice."""
        now, dry = self.clock(), self.config.dry_run
        url = self.client.panel.url  # learned at another URL: asked again
        if is_unsupported(self.store, self.panel, "cancel", url):  # `cancel ID` re-learns
            log.debug("cancel_unsupported", panel=self.panel)
            return True
        before = now - timedelta(seconds=self.config.cancel_pending_after)
        chosen: dict[int, int] = {}
        skipped: dict[int, str] = {}
        after = 0
        while rows := pending_candidates(
            self.store, self.panel, before, dry_run=dry, after=after, limit=PAGE
        ):
            after = rows[-1]["order_id"]
            for row in rows:
                # Pending since it went back to Pending (a provider retrying),
                # else since first seen: never since before it was In progress.
                since = parse_iso(row["pending_since"])
                facts = service_facts(row)
                confirmed = row["confirmed_at"]
                why = cancel_blocker(
                    row["status"],
                    since,
                    facts,
                    self.config,
                    now,
                    confirmed_at=parse_iso(confirmed) if confirmed else None,
                    fresh_for=self.fresh_for,
                    set_ahead=set_ahead_since(self.ahead, since),
                )
                if why is None:
                    row_id = sql.begin_action(
                        self.store,
                        self.panel,
                        row["order_id"],
                        CANCEL,
                        now,
                        status=DRY_RUN if dry else SENDING,
                        dry_run=dry,
                        service=row["service"],
                        reason=f"Pending since {row['pending_since']}",
                    )
                    if row_id is not None:
                        chosen[row["order_id"]] = row_id
                elif why != NOT_STALE:
                    skipped[row["order_id"]] = why
        sql.note_skips(self.store, self.panel, CANCEL, skipped, now)
        if dry or not chosen:
            self._announce(AUTOMATION_CANCELED, list(chosen), dry, [])
            return True
        outcomes: list[dict[str, Any]] = []
        ok, key_refused = True, None
        self.refused_once, self.unsent, reached = False, [], False

        def stopped() -> bool:
            return self.stop.is_set() or self.refused_once

        try:
            for settled in cancel_in_groups(
                list(chosen), self.client.cancel, self.client, stopped=stopped
            ):
                try:
                    ok = self._settle(settled, chosen, outcomes) and ok
                except Exception as exc:  # answered, not stored: the log names the cancels
                    tell_unstored(self.panel, settled.results(), exc)
                    raise
                reached = reached or settled.kind not in (KEY, STOPPED, NOT_SENT, BUSY)
                if settled.kind == KEY:  # the last group: nothing more was sent
                    key_refused = settled.error
        finally:
            self._tell_unsent(reached)
        self._announce(AUTOMATION_CANCELED, [o["order_id"] for o in outcomes], False, outcomes)
        if key_refused is not None:
            raise key_refused  # the Watch pauses the panel
        return ok

    def _settle(
        self, settled: Settled, rows: dict[int, int], outcomes: list[dict[str, Any]]
    ) -> bool:
        """Store what one cancel call came to; return True when the panel answered
        order by order. Orders of a call that canceled nothing and refused none
        (a key refused: they and those not sent yet) are forgotten, so asked
        again at the next round."""
        group = settled.order_ids
        if settled.kind in (KEY, STOPPED, NOT_SENT, BUSY, UNSURE):
            # Nothing was canceled and no order refused: forgotten, so asked
            # again next round ("Too many requests": never resent at once).
            sql.forget_unsent(self.store, [rows[o] for o in group])
            if settled.kind == UNSURE:  # refused while the witness failed too
                self.unsent.append(settled.detail)
            return False
        now = self.clock()
        if settled.lacking and not self._learns_missing(settled.detail, now):
            # The first in a row may be a flaky panel's: this call's failure,
            # its orders (and the round's rest) asked again next round.
            sql.forget_unsent(self.store, [rows[o] for o in group])
            self.refused_once = True
            self.unsent.append(refused_once(CANCEL, settled.detail))
            return False
        if settled.busy:  # too busy for these: nothing canceled, asked again next round
            sql.forget_unsent(self.store, [rows[o] for o in settled.busy])
        results = settled.results()
        for order_id, result, error in results:
            fields = {"status": _STATUS[result], "error": error}
            sql.finish_action(self.store, rows[order_id], fields, now)
            outcomes.append({"order_id": order_id, **fields})
        # Kept in ``cancels`` too, beside the `cancel` command's: one history of
        # cancel requests; an accepted one is polled at once.
        record_cancels(self.store, self.panel, results, now)
        if settled.lacking:
            # No cancel action at all: learned, one alert, no more cancels sent.
            learn(
                self.store, self.panel, "cancel", False, settled.detail, now,
                url=self.client.panel.url, key=self.client.panel.key,
            )  # fmt: skip
            self.alerter.raise_alert(unsupported_alert(self.panel, "cancel", settled.detail))
        if settled.kind == ANSWERED:  # a first refusal in those words forgotten
            succeeded(self.store, self.panel, CANCEL, self.client.panel.url)
        return settled.kind == ANSWERED and not settled.busy

    def _tell_unsent(self, reached: bool) -> None:
        """Tell the round's ``cancel_not_sent``: at info (``warned_at``) in
        words an earlier round told, else at warning; a round the panel judged
        with none ends the episode, one that reached no panel leaves it."""
        if not (self.unsent or reached):
            return
        found = {words_mark(words): words for words in self.unsent}
        told = told_of_panel(self.store, self.panel, "cancel_not_sent", found, self.clock())
        for words in self.unsent:
            at = told.get(words_mark(words))
            warned = {} if at is None else {"warned_at": at}
            told_at = log.info if warned else log.warning
            told_at("cancel_not_sent", panel=self.panel, error=words, **warned)

    def _learns_missing(self, words: str, now: datetime) -> bool:
        """A call refused in a missing action's words: return True when it
        learns the panel has no cancel (the second in a row, no cancel
        answered between: told then); False for the first."""
        url, key, store = self.client.panel.url, self.client.panel.key, self.store
        # The first is told by the caller's cancel_not_sent, not at debug too.
        if not second_refusal(store, self.panel, CANCEL, now, known=False, url=url, key=key):
            return False
        self.client.found_missing(CANCEL, words)
        return True

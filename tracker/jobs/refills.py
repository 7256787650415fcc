"""The refill job: per panel, follow open refills, then request new ones.

Wiring only: the store says which orders completed inside their own window
(their services' named guarantees, else refill.window), the rules in
:mod:`tracker.rules.refills` say which are eligible, the drop strategy (the
panel, or the user's probe) says which dropped, and
:mod:`tracker.jobs.refill_requests` / :mod:`tracker.jobs.refill_follow` talk to the panel."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import structlog

from tracker.config.model import RefillConfig
from tracker.errors import AuthError, PanelError, StopRequested
from tracker.jobs.refill_detect import DetectsDrops
from tracker.jobs.refill_follow import follow_refills
from tracker.jobs.refill_outcomes import RequestResult, tell_unstored
from tracker.jobs.refill_requests import PanelModes, request_refills
from tracker.jobs.services import sync_services
from tracker.panel.client import PanelClient
from tracker.rules.failing_jobs import SERVICES_UNAVAILABLE
from tracker.rules.refill_eligibility import (
    PAST_WINDOW,
    PROBED,
    may_go,
    order_facts,
    past_request,
    past_window,
)
from tracker.rules.refills import OrderFacts, Verdict
from tracker.store.capabilities import is_unsupported, learn
from tracker.store.catalogue import listed_none
from tracker.store.orders import Store
from tracker.store.probes import last_probed
from tracker.store.refill_reach import longer_refill_windows
from tracker.store.refills import (
    candidate_orders,
    has_services,
    newest_request,
    requests_of,
    settle_interrupted,
)
from tracker.store.told_marks import told_once

__all__ = ["RefillListener", "RefillRound", "order_facts", "past_request"]

log = structlog.get_logger("tracker.refill")

PAGE = 500  # candidate orders read from SQLite at a time
# refill_round_done's count of the orders eligible but not asked: no drop
# found, the probe not due, failed or unable to measure them.
NOT_ASKED = "not dropped or not probed"
RefillListener = Callable[[list[dict[str, Any]]], None]


class RefillRound(DetectsDrops):
    """One panel's refill job. Keeps what it learns of the panel (multi-ID
    support) between runs."""

    def __init__(
        self,
        store: Store,
        client: PanelClient,
        config: RefillConfig,
        *,
        clock: Callable[[], datetime],
        stop_event: threading.Event | None = None,
        secrets: Iterable[str] = (),
        notify: RefillListener | None = None,
        on_unsupported: Callable[[str, str, str], None] | None = None,
    ):
        self.store = store
        self.client = client
        self.config = config
        self.clock = clock
        self.stop = stop_event or threading.Event()
        self.secrets = tuple(secrets)
        self.notify = notify or (lambda changes: None)
        # (panel, action, the panel's words): the panel turned out to lack an action.
        self.on_unsupported = on_unsupported or (lambda panel, action, words: None)
        self.modes = PanelModes()
        # A row still 'Requesting' after this long belongs to a run that died.
        panel = client.panel
        self.grace = timedelta(seconds=panel.retry_budget + panel.timeout + 60)

    def run(self) -> bool:
        """Follow open refills, then request the eligible ones; return True when
        every call succeeded."""
        now = self.clock()
        settled = settle_interrupted(self.store, self.client.name, now - self.grace, now)
        if settled:
            self.notify(settled)
        follow = follow_refills(
            self.store,
            self.client,
            clock=self.clock,
            modes=self.modes,
            stop_event=self.stop,
            on_changes=self.notify,
            cooldown=self.config.cooldown,
        )
        if follow.unsupported is not None:
            learn(
                self.store, self.client.name, "refill_status", False, follow.unsupported, now,
                url=self.client.panel.url, key=self.client.panel.key,
            )  # fmt: skip
            self.on_unsupported(self.client.name, "refill_status", follow.unsupported)
        if follow.gave_up:  # unreachable or key refused: requests would fail the same way
            if follow.auth_failed:  # the Watch pauses the panel and raises auth_failed
                raise self._refused(follow.errors[-1])
            return False
        return self.request_round() and follow.ok

    def request_round(self) -> bool:
        """Request a refill for every eligible, dropped order; return True when
        no call failed."""
        name = self.client.name
        if is_unsupported(self.store, name, "refill", self.client.panel.url):
            log.debug("refill_unsupported", panel=name, hint="smm-tracker refill ID tries again")
            return True
        # Told once per run of them, across `run --once` runs too (as
        # services_failed): at warning the first time, at debug after, until
        # a round finds a catalogue synced. A sync that listed no service is
        # one (the catalogue job's next sync asks again): asked again here,
        # each round called `services` once more for the same empty list.
        synced = has_services(self.store, name) or bool(listed_none(self.store, name))
        if not synced:
            try:
                sync_services(self.store, self.client, self.clock)
            except StopRequested:
                raise  # not a failure: the daemon reports the stop
            except PanelError as exc:  # unknown services are then skipped (or tried)
                told = told_once(self.store, name, SERVICES_UNAVAILABLE, True, self.clock())
                (log.debug if told else log.warning)(
                    "services_unavailable", panel=name, error=str(exc)
                )
            else:
                synced = True
        if synced:
            told_once(self.store, name, SERVICES_UNAVAILABLE, False, self.clock())
        # Learned without refill_status: an open refill of it never moves, so it
        # holds its order back only inside refill.cooldown (then the panel decides).
        followed = not is_unsupported(self.store, name, "refill_status", self.client.panel.url)
        now = self.clock()
        # Each order read back its own service's window (its name's guarantee:
        # a lifetime service's orders a year, the others refill.window), not
        # the panel's longest; the rule holds back each order past its own.
        window = (
            now - timedelta(seconds=self.config.window),
            now - timedelta(seconds=self.config.first_check),
        )
        longer = [
            (now - timedelta(seconds=seconds), ids)
            for seconds, ids in longer_refill_windows(self.store, self.config, name)
        ]
        skipped: Counter[str] = Counter()
        ok, after, asked = True, 0, 0
        while not self.stop.is_set():
            rows = candidate_orders(
                self.store,
                name,
                self.config.statuses,
                window,
                after=after,
                limit=PAGE,
                longer=longer,
            )
            if not rows:
                break
            after = rows[-1]["order_id"]
            ids = [r["order_id"] for r in rows]
            history = requests_of(self.store, name, ids)
            probed = last_probed(self.store, name, ids) if self.config.detect == "command" else {}
            eligible = []
            for row in rows:
                facts = order_facts(row)
                past = [past_request(r, followed=followed) for r in history[facts.order_id]]
                # The rule `history ID` says the next request by: eligible,
                # and with the probe, one it can measure, due to be measured.
                verdict = may_go(facts, past, self.config, now, probed.get(facts.order_id))
                if verdict.eligible:
                    eligible.append(facts)
                else:
                    skipped[self._unasked(facts, verdict)] += 1
            chosen = self.detect(eligible)
            skipped[NOT_ASKED] += len(eligible) - len(chosen)
            if not chosen:
                continue
            result = RequestResult()
            try:
                request_refills(
                    self.store,
                    self.client,
                    chosen,
                    clock=self.clock,
                    modes=self.modes,
                    stop_event=self.stop,
                    seen={o: newest_request(h) for o, h in history.items()},
                    result=result,
                )
            except Exception as exc:  # answered, not stored: the log names the refill IDs
                tell_unstored(name, result, exc)
                raise
            asked += result.sent
            if result.changes:
                self.notify(result.changes)
            if result.unsupported is not None:
                learn(
                    self.store, name, "refill", False, result.unsupported, self.clock(),
                    url=self.client.panel.url, key=self.client.panel.key,
                )  # fmt: skip
                self.on_unsupported(name, "refill", result.unsupported)
                break
            if result.auth_failed:  # what was sent is stored: the Watch pauses the panel
                raise self._refused(result.errors[-1])
            if result.errors:
                ok = False
                break
        told = log.info if asked else log.debug  # nothing requested: nothing new
        told("refill_round_done", panel=name, requested=asked, skipped=dict(skipped))
        return ok

    def _refused(self, error: str) -> AuthError:
        """Given a failed call's message ("panel: action: words"), return the
        refusal of the key to raise to the Watch, as the status job does."""
        return AuthError(error.removeprefix(f"{self.client.name}: "), panel=self.client.name)

    def _unasked(self, order: OrderFacts, verdict: Verdict) -> str:
        """Given an order the rule holds back, return the reason it is counted
        under (past its window: which, "past its refill window (90d, R90)");
        one the probe cannot measure is warned of (``probe_skipped``)."""
        if verdict.unprobeable is not None:
            name = self.client.name
            log.warning(
                "probe_skipped", panel=name, order=order.order_id, reason=verdict.unprobeable
            )
            return NOT_ASKED
        if verdict.reason == PAST_WINDOW:  # its own window said: R90, refill.window...
            return past_window(order, self.config)
        return NOT_ASKED if verdict.reason == PROBED else verdict.reason

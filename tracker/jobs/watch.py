"""Alert wiring for a Tracker: balance jobs, listeners, call observers, key pauses.

One :class:`Watch` per Tracker. It subscribes to the tracker's transition and
refill listeners and to every client's call observers, adds a balance job per
panel, and wraps the panel's other jobs so they pause while its key is refused.
What the listeners tell is made alerts by its mixin
:class:`~tracker.jobs.watch_listeners.Listeners`.

A paused panel resumes when its balance probe (``balance_every``) gets no
refusal, or at a reload (``panel_resumed``, ``reason="reload"``) or restart:
the episode is kept, not the pause, and a key still refused pauses it again.
A panel's refill round waits while its calls fail
(:func:`tracker.rules.refill_rounds.held_by`).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import structlog

from tracker.alerts.alerter import Alerter
from tracker.alerts.notify import targets, unread
from tracker.alerts.redeliver import Keeper
from tracker.errors import AuthError, JobHeld, JobPaused
from tracker.jobs.balance import check_balance
from tracker.jobs.base import Core, Job
from tracker.jobs.carried import Carried, carried
from tracker.jobs.health import StoreHealth
from tracker.jobs.key_gate import KeyGate
from tracker.jobs.quirks import QuirksTold
from tracker.jobs.reach import Reach
from tracker.jobs.watch_listeners import Listeners
from tracker.rules.redelivery import NOT_KEPT
from tracker.store.told_marks import hold_told, notify_told

if TYPE_CHECKING:
    from tracker.alerts.webhook import WebhookSink

log = structlog.get_logger("tracker.watch")


class Watch(KeyGate, Listeners):
    """Given a Tracker, raise its alerts and pause panels whose key is refused."""

    def __init__(self, tracker: Core):
        self.tracker = tracker
        self.config = tracker.config
        self.clock = tracker.clock
        alerts = self.config.alerts
        # Apprise targets share the webhook's queue and thread (and its timeout).
        # `run --once`: a notify URL refused, told at error by the first run alone.
        told = notify_told(tracker.store, tracker.clock()) if tracker.once else None
        notify = targets(alerts.notify, timeout=alerts.webhook_timeout, told=told)
        keeper = Keeper(
            tracker.store,
            tracker.clock,
            alerts.redeliver_for,
            unread(alerts.notify, notify),  # their alerts given up in those words
        )
        somewhere = bool(alerts.webhook_url or notify)
        if not somewhere:  # nowhere to send: the alerts kept from before, given up now
            keeper.give_up_all()
            from tracker.alerts.outages_kept import forget_all

            forget_all(tracker.store, tracker.clock)  # and the outages told of targets gone
        elif alerts.redeliver_for <= 0:  # nothing sent again: those kept from before go now,
            keeper.give_up_all(NOT_KEPT)  # before this sink's first look (never waited for)
        self.sink: WebhookSink | None = None
        if somewhere:
            # The sender's modules load only with somewhere to send.
            from tracker.alerts.outages_kept import KeptOutages, target_urls
            from tracker.alerts.webhook import WebhookSink

            # Each target's outage told once across reloads and `run --once` runs.
            urls = target_urls(alerts.webhook_url, alerts.notify, notify)
            outages = KeptOutages(tracker.store, tracker.clock, urls)
            outages.forget_others()  # those of targets no longer configured
            self.sink = WebhookSink(
                alerts.webhook_url,
                fmt=alerts.webhook_format,
                timeout=alerts.webhook_timeout,
                chat_id=alerts.telegram_chat_id,
                stop_event=tracker.stop_event,
                notify=notify,
                keeper=keeper,
                outages=outages,
            )
        self.alerter = Alerter(tracker.store, self.sink, clock=tracker.clock)
        # Disk full or read-only database: one alert per outage; jobs retry on schedule.
        self.store_health = StoreHealth(
            store=tracker.store,
            sink=self.sink,
            clock=tracker.clock,
            probe=getattr(tracker.store, "probe_write", None),
        )
        self.paused: set[str] = set()
        self._retired = False  # a reload's generation took the pauses over
        self.carried = Carried()  # what an earlier `run --once` told (carry_outages)
        # panel -> the job kind whose refusal of the key came last ("status",
        # "balance"...): what must take the key again to end the episode.
        self._refused_by: dict[str, str] = {}
        self.refused_jobs: Counter[str] = Counter()
        # panel -> the hold of its refill round told at warning ("... since T"):
        # the rounds after it in the same hold at debug, not a warning a round.
        self._held_told: dict[str, str] = {}
        # job -> why its last round was held (not run): `run --once`'s summary.
        self.held_jobs: dict[str, str] = {}
        # panel -> its balance check's lock: the job's and the automation's, one at a time.
        self._balancing: dict[str, threading.Lock] = {}
        # Each panel's run of failed calls: panel_unreachable, refill rounds held.
        unreachable_after = self.config.alerts.unreachable_after
        self.reach = Reach(
            tracker.clock,
            tracker.monotonic,
            self.alerter,
            unreachable_after,
            tracker.boottime,
            stopping=tracker.stop_event,  # a call failed in a stop is the stop's
        )
        self._lock = threading.RLock()
        tracker.transition_listeners.append(self.on_transitions)
        tracker.refill_listeners.append(self.on_refills)
        tracker.capability_listeners.append(self.on_unsupported)
        tracker.catalogue_listeners.append(self.on_ambiguous)
        # A panel's quirks told once across processes (run --once under cron):
        # what earlier ones told read here, off the poll's workers, whose calls
        # then judge them without the database; stored after each job's run.
        urls = {name: client.panel.url for name, client in tracker.clients.items()}
        self.quirks = QuirksTold(tracker.store, tracker.clock, urls)
        self.quirks.load()
        for name, client in tracker.clients.items():
            client.call_observers.append(self.reach.observe)  # whole calls: retries in
            client.cut_observers.append(self.reach.cut)  # a reload's stop cut: the heir's
            client.call_clock = tracker.monotonic  # their seconds on the clock Reach reads
            client.quirk_told = partial(self.quirks.seen, name, client.panel.url)

    def take_over(self, previous: Watch) -> None:
        """At a reload, carry on the last generation's store outage and its
        panels' runs of failed calls (see :mod:`tracker.jobs.reach`); end its
        pauses, told (``panel_resumed``): this generation's jobs run, and
        pause again if the key is still refused."""
        self.store_health.take_over(previous.store_health)
        moved = [  # another URL: its actions' counts begin anew there
            name
            for name, client in self.tracker.clients.items()
            if name in previous.tracker.clients
            and previous.tracker.clients[name].panel.url != client.panel.url
        ]
        self.reach.take_over(previous.reach, self.tracker.clients, moved)
        with previous._lock:  # its pauses end here: this generation's jobs run
            ended, previous.paused, previous._retired = previous.paused, set(), True
        for panel in sorted(ended):  # the key asked again: panel_paused if still refused
            log.info("panel_resumed", panel=panel, reason="reload")
        self._held_told.update(previous._held_told)
        self.quirks.take_over(previous.quirks)  # sightings not stored yet go on here
        for name, client in self.tracker.clients.items():  # its once-only warnings
            before = previous.tracker.clients.get(name)
            if before is not None and before.panel.url == client.panel.url:
                client.told_by(before)
                if before.panel.key == client.panel.key:  # status_failed told once an outage
                    self.tracker.told[name] = previous.tracker.told.get(name, [])

    def carry_outages(self) -> None:
        """``run --once``: what an earlier run told (an outage, a pause, polls
        failing: kept in ``alert_state``) goes at debug here until it ends
        (:mod:`tracker.jobs.carried`)."""
        every, clients = self.config.schedule.status_every, self.tracker.clients
        urls = {name: client.panel.url for name, client in clients.items()}
        moved = self.reach.carry_moves(self.tracker.store, urls)  # its runs begin anew
        self.carried = carried(
            self.alerter, clients, self.clock(), self.reach.after_s, every, moved
        )
        self.reach.carry_counts(self.tracker.store, urls, self.config.schedule)  # broken actions

    def keep_run_urls(self, *, start: bool) -> None:
        """The daemon's ``start`` and each reload: keep the URL each panel
        runs at (``run_url#``, as ``run --once`` does: written only where it
        changed), so cron and the daemon agree on where a panel's last run
        ran; at the start, a panel the last one ran at another URL begins its
        runs of failed polls and calls anew (a restart moving it, as a reload
        does: :meth:`tracker.jobs.reach.Reach.take_over`)."""
        urls = {name: client.panel.url for name, client in self.tracker.clients.items()}
        self.reach.carry_moves(self.tracker.store, urls, anew=start)

    def close(self, hurry: threading.Event | None = None) -> None:
        """Store what is left, then close the sink (``hurry``: see WebhookSink.close)."""
        self.quirks.store_seen()  # those no job's end stored (a stop): a last try
        self.reach.store_counts()
        self.alerter.close()  # what the database could not take yet: a last try
        if self.sink is not None:
            self.sink.close(hurry=hurry)

    # --- jobs ------------------------------------------------------------------

    def jobs(self, jobs: list[Job]) -> list[Job]:
        """Given the tracker's jobs, return them pausable, plus a balance job per panel,
        all watched for an unwritable database."""
        every = self.config.schedule.balance_every
        wrapped = [self._pausable(job) for job in jobs]
        for name in self.tracker.clients:
            wrapped.append(Job(f"balance:{name}", every, partial(self.check_balance, name)))
        return self.store_health.wrap_all([self._storing_quirks(job) for job in wrapped])

    def _storing_quirks(self, job: Job) -> Job:
        """``job``, storing after each run the quirks its calls saw (in its own
        thread: the poll's workers never wait on the database for them)."""

        def run() -> bool:
            try:  # one failed on the database: stored after a later one
                return job.run()
            finally:  # a run paused by the refusal it met too
                self.quirks.store_seen()
                self.reach.store_counts()  # run --once: its actions' runs of failures

        return replace(job, run=run)

    def check_balance(self, panel: str) -> bool:
        """Run the balance job of one panel (also the probe of a paused one, and
        the automation's check before a re-order: one at a time per panel)."""
        client, store = self.tracker.clients[panel], self.tracker.store
        looks = self.reach.looks  # the clock's steps and sleeps between two checks
        with self._balancing.setdefault(panel, threading.Lock()):
            return check_balance(
                client, store, self.alerter, self, config=self.config, clock=self.clock, looks=looks
            )

    def _pausable(self, job: Job) -> Job:
        panel = job.name.rpartition(":")[2]
        if panel not in self.tracker.clients:
            return job

        kind = job.name.partition(":")[0]

        def run() -> bool:
            if panel in self.paused:  # not run: no failure, counted apart (job_paused_total)
                log.debug("job_paused", job=job.name, panel=panel, reason="key refused")
                self.held_jobs.pop(job.name, None)  # paused now, no longer held
                raise JobPaused(f"{panel}: paused, the panel refused the key")
            if kind == "refill" and (why := self.refills_held(panel)):
                hold = why.partition(" (")[0]  # its start, not the actions failed so far
                client = self.tracker.clients[panel]  # told by an earlier run: carried
                told = self._held_told.get(panel) == hold or client.carried or client.polls_carried
                told = hold_told(self.tracker.store, panel, why, self.clock()) or told  # cron
                (log.debug if told else log.warning)("refill_round_held", panel=panel, reason=why)
                self._held_told[panel] = hold
                self.held_jobs[job.name] = why
                raise JobHeld(f"{panel}: refill round held: {why}")  # no failure: held
            if kind == "refill":
                self._held_told.pop(panel, None)  # not held: the next hold is told
                hold_told(self.tracker.store, panel, None, self.clock())  # by later runs too
                self.held_jobs.pop(job.name, None)
            refusals = self.refused_jobs[job.name]
            try:
                done = job.run()
            except AuthError as exc:  # a job that lets the refusal through
                self.auth_refused(panel, exc.detail, by=kind)
                raise JobPaused(f"{panel}: paused, the panel refused the key") from None
            if not done and self.refused_jobs[job.name] > refusals:  # the poll told it
                # Refused the key in this run: said as the runs the pause skips
                # are, whichever of the panel's jobs asked first (no failure).
                raise JobPaused(f"{panel}: paused, the panel refused the key")
            if done and panel not in self.paused and self._refused_by.get(panel) == kind:
                self.auth_accepted(panel, by=kind)  # the action that refused takes it
            return done

        return Job(job.name, job.every, run)

    def refills_held(self, panel: str) -> str | None:
        """Why the panel's refill round waits (its calls failing), or None."""
        return self.reach.held(panel)

"""Wiring: a config becomes a store, one client per panel, and the jobs to run.

No business logic here; each job is a small function elsewhere. The daemon
schedules :meth:`Tracker.jobs`; ``run --once`` calls each of them once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import structlog

from tracker.config.model import Config
from tracker.errors import StopRequested, StoreError
from tracker.jobs.automation import automation_jobs
from tracker.jobs.base import Core, Job
from tracker.jobs.learned import store_status_mode, try_multi_again
from tracker.jobs.poll import PollResult, poll_panel
from tracker.jobs.prejudge import Prejudge
from tracker.jobs.refill_jobs import refill_jobs
from tracker.jobs.steps import Looks
from tracker.jobs.watch import Watch
from tracker.rules.clocksteps import SetAhead, seen_ahead
from tracker.rules.late_checks import raised_alerts, refund_alerts
from tracker.rules.transitions import Cadence
from tracker.store.readings import open_counts_of, panels_in_database

log = structlog.get_logger("tracker.app")

# A poll a stop cut short (due orders left unasked, or a call not waited for):
# the stop's, neither a success nor a failure (``job_stopped``).
STOPPED_POLL = "stopping: the orders not yet answered are asked at the next poll"


class Tracker(Core):
    """Given a config, own the store, the panel clients and the alert watch; list the jobs."""

    def __init__(self, config: Config, *, once: bool = False, **kwargs: Any):
        super().__init__(config, **kwargs)
        self.once = once  # `run --once`: known to the watch as it is made
        self.watch = Watch(self)  # alerts: balance jobs, listeners, observers, key pauses
        self.polls: dict[str, PollResult] = {}  # each panel's last poll (`run --once` summary)
        self.prejudges: dict[str, Prejudge] = {}  # see prejudge_in_polls
        self.poll_listeners: list[Callable[[PollResult], None]] = []  # each poll's result
        # The wall clock's steps between a panel's polls: no time toward giving
        # up an order the panel calls unknown (Cadence.set_ahead).
        self.looks = Looks(self.clock, self.monotonic, self.boottime)
        self.ahead: dict[str, tuple[SetAhead, ...]] = {}

    def prejudge_in_polls(self) -> None:
        """Have each poll judge the orders it changed for the stall watch while
        it waits on the panel (``run --once``: the watch's pass after the poll
        then skips them; see :mod:`tracker.jobs.prejudge`)."""
        for name in self.clients:
            prejudge = Prejudge(self.store, name, self.config.automation, self.clock)
            self.prejudges[name] = prejudge
            self.transition_listeners.append(prejudge.changed)

    @property
    def cadence(self) -> Cadence:
        schedule = self.config.schedule
        return Cadence(
            every=schedule.status_every,
            max_every=schedule.status_max_every,
            give_up=schedule.unknown_give_up,
            late_checks=schedule.late_checks,
        )

    def warn_unconfigured(self, told_once: bool = False) -> dict[str, int]:
        """Log one warning per panel the config leaves out that still has open
        orders in the database (no job polls them); return each one's count.
        ``told_once`` (``run --once``): a panel an earlier run warned of, left
        out since, is said at info with ``warned_at`` (cron mails it once:
        :mod:`tracker.store.told_marks`); the daemon warns at each start.

        The panels are found by one index seek each, and only the left-out
        ones' open orders are counted: a start reads none of the configured
        panels' orders (counting every open order, as before, took 34 ms of a
        `run --once` start at 20k open orders, growing with them). Nothing is
        logged when the database cannot be read: the jobs will say so.
        """
        try:
            left_out = [p for p in panels_in_database(self.store) if p not in self.clients]
            found = open_counts_of(self.store, left_out)
        except StoreError:
            return {}
        told: dict[str, str] = {}
        if told_once:
            from tracker.store.told_marks import UNCONFIGURED, told_before

            told = told_before(self.store, UNCONFIGURED, found, self.clock())
        if found:  # doctor's words: imported for a panel left out only
            from tracker.rules.doctor import unconfigured_text
        for panel, count in found.items():
            warned = told.get(panel)
            (log.warning if warned is None else log.info)(
                "orders_of_unconfigured_panel",
                panel=panel,
                open_orders=count,
                detail=unconfigured_text(panel, count),
                **({} if warned is None else {"warned_at": warned}),
            )
        return found

    def close(self, hurry: threading.Event | None = None) -> None:
        """Close the alert watch, the panels' clients, then the store. The
        webhook's queued alerts are posted first, within the webhook timeout
        plus 5 s; ``hurry`` set meanwhile (a stop) keeps what is left unsent."""
        self.watch.close(hurry)
        for client in self.clients.values():
            client.close()
        self.store.close()

    def abandon(self) -> bool:
        """``run --once`` leaving jobs still running (a second Ctrl-C, or past
        its stop bound), or the daemon's stop past its bound (each generation
        still open): close at once what no job's thread is using. When no
        step holds the database: the alerts the webhook or notify targets were
        not sent yet are kept for the next run, and the database is closed,
        its WAL checkpointed into the file (left behind, a copy of the file
        alone missed the run's writes). The panels' HTTP clients are left to
        the process's end: a call on the wire would fail in its thread for
        nothing. Return whether the database was closed; never raise."""
        try:
            if not self.store.hold_idle():
                return False
            if self.watch.sink is not None:
                self.watch.sink.close(timeout=0.0)  # what it had not sent: kept
            self.store.close()
        except Exception as exc:  # leaving: one line, never a traceback
            log.warning("abandon_close_failed", error=str(exc))
            return False
        return True

    def _notify(self, transitions: list[dict[str, Any]]) -> None:
        for listener in self.transition_listeners:
            try:
                listener(transitions)
            except Exception:  # a listener's bug must not lose a poll
                log.exception("transition_listener_failed")

    def _refunded(self, refunds: list[dict[str, Any]], raised: list[dict[str, Any]]) -> None:
        """A poll's late checks found refunds, or ended orders charged more:
        one ``order_refunded`` and one ``order_charge_raised`` per panel."""
        for alert in [*refund_alerts(refunds), *raised_alerts(raised)]:
            self.watch.alerter.raise_alert(alert)

    def poll(self, panel: str) -> bool:
        """Run the status job for one panel; return True when it succeeded."""
        blind = self.watch.blind(panel)  # its failures explained, however the poll ends
        said = blind or self.watch.failing_said(panel)  # its poll_done at debug if failed
        try:  # order= alone, learned a day ago or more: orders= tried again
            try_multi_again(self.store, self.clients[panel], self.clock())
        except StoreError as exc:  # the mode kept: tried at a later poll
            log.debug("status_mode_unread", panel=panel, error=str(exc))
        ahead = seen_ahead(self.ahead.get(panel, ()), *self.looks.step(panel))
        self.ahead[panel] = ahead
        result = poll_panel(
            self.store,
            self.clients[panel],
            clock=self.clock,
            cadence=self.cadence._replace(set_ahead=ahead),
            everything=self.everything,
            stop_event=self.stop_event,
            on_transitions=self._notify,
            on_lost=self.watch.on_lost,
            on_refunds=self._refunded,
            idle=self.prejudges[panel].step if panel in self.prejudges else None,
            told=tuple(self.told.get(panel, ())),
            told_refusal=panel in self.watch.carried.paused,  # told by an earlier run
            failing_said=said,
        )
        self.polls[panel] = result
        if result.errors or not result.stopped or result.calls:  # a cut poll: still told
            self.told.setdefault(panel, [])[:] = result.errors
        if result.ok:  # every due order checked: the next failing poll is told
            self.clients[panel].polls_carried = False
            if result.calls and not result.auth_failed:  # the key answered: what
                self.watch.key_proven(panel)  # another key learned is forgotten
        asked = result.calls > 0 and result.ok and not self.stop_event.is_set()
        for ended in self.clients[panel].told_lines.poll_done(asked):  # its episode over
            log.info(f"{ended.line}_ended", panel=panel, times=ended.times, polls=ended.polls)
        try:  # order= alone proven (or orders= answered again): every process starts from it
            store_status_mode(self.store, self.clients[panel], self.clock())
        except StoreError as exc:  # proven again by the next process: a few calls
            log.warning("status_mode_unsaved", panel=panel, error=str(exc))
        for listener in self.poll_listeners:  # the daemon's metrics
            listener(result)
        self.watch.after_poll(panel)  # open orders in status words it does not know
        if result.auth_failed:  # pause this panel's jobs, alert once
            self.watch.auth_refused(panel, result.errors[-1], by="status")
        if not self.stop_event.is_set():  # orders left unchecked poll after poll
            self.watch.after_status(panel, result.errors, begun_blind=blind)
        if result.stopped and result.ok:  # no success: job_stopped, no success timestamp
            raise StopRequested(STOPPED_POLL, panel=panel, action="status")
        return result.ok

    def jobs(self) -> list[Job]:
        """Return every periodic job, one set per panel."""
        schedule = self.config.schedule
        jobs = []
        for name in self.clients:
            jobs.append(Job(f"status:{name}", schedule.status_every, partial(self.poll, name)))
        jobs.extend(refill_jobs(self))
        # A re-order decided on a balance the balance job let grow old asks it first.
        jobs.extend(automation_jobs(self, self.watch.alerter, balance=self.watch.check_balance))
        return self.watch.jobs(jobs)

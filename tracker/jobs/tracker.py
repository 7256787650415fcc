"""Wiring: a config becomes a store, one client per panel, and the jobs to run.

No business logic here; each job is a small function elsewhere. The daemon
schedules :meth:`Tracker.jobs`; ``run --once`` calls each of them once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import structlog

from tracker.clock import Clock, utcnow
from tracker.config.model import Config, PanelConfig
from tracker.jobs.poll import poll_panel
from tracker.jobs.refills import refill_jobs
from tracker.panel.client import PanelClient
from tracker.panel.ratelimit import RateLimiter
from tracker.rules.transitions import Cadence
from tracker.service.logs import register_secret
from tracker.store.orders import Store

log = structlog.get_logger("tracker.app")

TransitionListener = Callable[[list[dict[str, Any]]], None]


@dataclass
class Job:
    """A periodic job: ``run()`` returns True when it succeeded."""

    name: str
    every: float
    run: Callable[[], bool]


class Tracker:
    """Given a config, own the store and the panel clients for the process lifetime."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock = utcnow,
        stop_event: threading.Event | None = None,
        transport: Callable[[PanelConfig], httpx.BaseTransport | None] | None = None,
        store: Store | None = None,
    ):
        self.config = config
        self.clock = clock
        self.stop_event = stop_event or threading.Event()
        self.store = store or Store(config.database.path, busy_timeout=config.database.busy_timeout)
        self.clients: dict[str, PanelClient] = {}
        for panel in config.panels:
            register_secret(panel.key.reveal())
            # One bucket per panel, shared by every job through its one client.
            limiter = (
                RateLimiter(panel.requests_per_minute, stop_event=self.stop_event, panel=panel.name)
                if panel.requests_per_minute
                else None
            )
            self.clients[panel.name] = PanelClient(
                panel,
                transport=transport(panel) if transport else None,
                stop_event=self.stop_event,
                limiter=limiter,
            )
        self.transition_listeners: list[TransitionListener] = []
        self.refill_listeners: list[TransitionListener] = []  # refill status changes
        self.everything = False  # `run --once --all`: poll every open order now
        from tracker.jobs.watch import Watch  # here, not at the top: watch imports Job from here

        self.watch = Watch(self)  # alerts: balance jobs, listeners, observers, key pauses

    @property
    def cadence(self) -> Cadence:
        schedule = self.config.schedule
        return Cadence(every=schedule.status_every, max_every=schedule.status_max_every)

    def close(self) -> None:
        self.watch.close()  # posts queued webhook alerts, bounded by the webhook timeout
        for client in self.clients.values():
            client.close()
        self.store.close()

    def _notify(self, transitions: list[dict[str, Any]]) -> None:
        for listener in self.transition_listeners:
            try:
                listener(transitions)
            except Exception:  # a listener's bug must not lose a poll
                log.exception("transition_listener_failed")

    def poll(self, panel: str) -> bool:
        """Run the status job for one panel; return True when it succeeded."""
        result = poll_panel(
            self.store,
            self.clients[panel],
            clock=self.clock,
            cadence=self.cadence,
            everything=self.everything,
            stop_event=self.stop_event,
            on_transitions=self._notify,
        )
        if result.auth_failed:  # pause this panel's jobs, alert once
            self.watch.auth_refused(panel, result.errors[-1])
        return result.ok

    def jobs(self) -> list[Job]:
        """Return every periodic job, one set per panel."""
        schedule = self.config.schedule
        jobs = []
        for name in self.clients:
            jobs.append(Job(f"status:{name}", schedule.status_every, partial(self.poll, name)))
        jobs.extend(refill_jobs(self))
        return self.watch.jobs(jobs)

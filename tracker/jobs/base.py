"""The base of the wiring: a job, and a config made into a store and one client per panel.

No business logic here; each job is a small function elsewhere. The daemon
schedules :meth:`Tracker.jobs`; ``run --once`` calls each of them once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from tracker.clock import Clock, utcnow
from tracker.clock import boottime as _boottime
from tracker.config.model import Config, PanelConfig
from tracker.jobs.learned import tell_client
from tracker.panel.client import PanelClient
from tracker.panel.ratelimit import RateLimiter
from tracker.redact.scrub import register_secret
from tracker.signals import Stop
from tracker.store.orders import Store

log = structlog.get_logger("tracker.store")

TransitionListener = Callable[[list[dict[str, Any]]], None]


def _unknown() -> float | None:
    return None


@dataclass
class Job:
    """A periodic job: ``run()`` returns True when it succeeded."""

    name: str
    every: float
    run: Callable[[], bool]
    # Seconds from the daemon's start (or the reload adding it, or a clock
    # step) to its first run; 0: at once. The daily prune waits: a restart
    # loop must not prune at every start.
    first_after: float = 0.0


class Core:
    """Given a config, own the store and the panel clients for the process lifetime.

    What the jobs need from the wiring; :class:`tracker.jobs.tracker.Tracker` adds
    the alert watch and the list of jobs on top."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock = utcnow,
        monotonic: Callable[[], float | None] | None = None,
        boottime: Callable[[], float | None] | None = None,
        stop_event: threading.Event | None = None,
        transport: Callable[[PanelConfig], httpx.BaseTransport | None] | None = None,
        store: Store | None = None,
        stop_cuts_reads: bool = True,
    ):
        self.config = config
        self.clock = clock
        # The monotonic clock beside ``clock``, telling its steps from time
        # passing; a clock of the caller's own (tests) has none unless given.
        self.monotonic = monotonic or (time.monotonic if clock is utcnow else _unknown)
        # The boot clock beside them (Linux's CLOCK_BOOTTIME, counting a
        # suspend): it tells a sleep (real time passed) from a clock step;
        # None where there is none, and for a clock of the caller's own.
        self.boottime = boottime or (_boottime if clock is utcnow else _unknown)
        self.stop_event = stop_event or Stop()  # marked by a stop signal's handler (run)
        self.store = store or Store(config.database.path, busy_timeout=config.database.busy_timeout)
        self.store.stopping = self.stop_event  # a stop cuts the store's waits short
        if self.store.migrated:  # an upgrade (or a new file): said once, in the journal
            names, seconds = self.store.migrated
            log.info(
                "migrations_applied", database=str(self.store.path), count=len(names),
                first=names[0], last=names[-1], seconds=round(seconds, 3),
            )  # fmt: skip
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
                # a stop ends a read's wait for its answer (the daemon's); run
                # --once's first stop waits for the calls on the wire instead
                stop_cuts_reads=stop_cuts_reads,
            )
        # Each panel's failed calls its last poll told (status_failed once an
        # outage): a reload at the same url and key hands the same list over
        # (Watch.take_over; a poll of the old generation's a reload cut tells it).
        self.told: dict[str, list[str]] = {name: [] for name in self.clients}
        # Panels whose rows were learned with another key: forgotten once the
        # panel answers this one (tracker.jobs.key_gate.KeyGate.key_proven).
        self.rekeyed: set[str] = set()
        for client in self.clients.values():  # learned at its URL, maybe by another process:
            if tell_client(self.store, client, clock()):  # no balance; order= alone
                self.rekeyed.add(client.name)
        self.transition_listeners: list[TransitionListener] = []
        self.refill_listeners: list[TransitionListener] = []  # refill status changes
        # (panel, action, the panel's words): an action the panel turned out to lack.
        self.capability_listeners: list[Callable[[str, str, str], None]] = []
        # (panel, services it lists twice with different terms, not alerted yet).
        self.catalogue_listeners: list[Callable[[str, Sequence[Any]], None]] = []
        self.everything = False  # `run --once --all`: poll every open order now
        # `run --once`: a process per run (cron), nothing to reload; the
        # alerts' advice (auth_failed) says what the next run does instead.
        self.once = False
        # Which systemd manager's smm-tracker.service runs the daemon ("system",
        # "user", "both": not told apart, "none": none installed, "apart": one
        # installed that does not run it; "system:UNIT", "user:UNIT": another
        # unit runs it, smm-tracker@shop2.service), found by the daemon at its start and
        # at each reload (tracker.service.process.Service): auth_failed names
        # the restart or reload that fits it. None: not known, the system's said.
        self.unit_manager: str | None = None

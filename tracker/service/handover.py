"""A reload's handover, panel by panel (SIGHUP).

A *generation* is the set of jobs built from one config, with the stop event
they watch and what to close when they are retired. At a reload the old
generation's jobs are told to stop at once; each panel's new jobs start as
soon as that panel's own old runs have ended, at once for a panel with none
in flight. A panel whose call hangs until its ``timeout`` (a silent or
dripping panel) holds back its own new jobs alone, never another panel's.
Two runs of one panel, the old generation's and the new one's, never overlap:
one chain of transitions per order, no refill or re-order sent twice, hold
across a reload as between two polls. The old generation (its store, clients
and webhook queue) is closed once its last run has ended.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

import structlog

from tracker.config.model import Config
from tracker.jobs.base import Job
from tracker.jobs.learned import forget_learned
from tracker.jobs.tracker import Tracker
from tracker.jobs.watch import Watch
from tracker.rules.alerts import AUTH_FAILED
from tracker.rules.reloads import moved_panels, rekeyed, rekeyed_panels, rethresholded

log = structlog.get_logger("tracker.daemon")


def panel_of(name: str) -> str:
    """Given a job name ("kind:panel"), return its panel (a name without one is its own)."""
    return name.rpartition(":")[2]


def rekeyed_probes(old: Config, new: Config, watch: Watch) -> frozenset[str]:
    """Given the running config, the one a reload applies and the running
    generation's Watch, return the balance jobs the reload runs at once: the
    probes of the panels whose refused key it changes (:func:`tracker.rules.
    reloads.rekeyed`), which end their ``auth_failed`` within seconds."""
    refused = partial(watch.alerter.episode, kind=AUTH_FAILED)
    return frozenset(f"balance:{name}" for name in rekeyed(old, new, watch.paused, refused))


def rethresholded_probes(old: Config, new: Config) -> frozenset[str]:
    """Given the running config and the one a reload applies, return the balance
    jobs the reload runs at once: those of the panels whose balance thresholds
    it changes (:func:`tracker.rules.reloads.rethresholded`), so that a
    ``balance_low`` a new threshold calls for comes within seconds."""
    return frozenset(f"balance:{name}" for name in rethresholded(old, new))


def anew_panels(old: Config, new: Config, tracker: Tracker) -> frozenset[str]:
    """Given the running config, the one a reload applies and the Tracker built
    from it, return the panels whose jobs run at once, keeping no old turn:
    those whose URL it changes (what was learned holds at the old URL only),
    and those whose key it changes at the same URL, what was learned of them
    forgotten (:func:`tracker.jobs.learned.forget_learned`)."""
    rekeyed = rekeyed_panels(old, new)
    for name in sorted(rekeyed):
        if (client := tracker.clients.get(name)) is not None:
            forget_learned(tracker.store, client)
            tracker.rekeyed.discard(name)  # forgotten now, not at its first answer
    return moved_panels(old, new) | rekeyed


@dataclass
class Generation:
    """The jobs built from one config, the event that retires them, their cleanup."""

    jobs: list[Job]
    stop_event: threading.Event
    close: Callable[[], None] = lambda: None
    # Seconds its runs may still take once told to stop (its config's stop
    # bound): a stop waits as long as the longest of the generations alive.
    bound: float = 0.0
    # Panels whose url or key the reload changed: their jobs run at once, keeping
    # no turn of the old generation's (what was learned of them is asked again).
    anew: frozenset[str] = frozenset()
    # Jobs a reload runs at once, whatever turn the old generation's had (the
    # balance probe of a panel whose refused key or balance thresholds it changed).
    due_now: frozenset[str] = frozenset()
    # A stop leaving its runs going past the bound: close at once what none of
    # them uses (Tracker.abandon: unsent alerts kept, the database closed).
    abandon: Callable[[], object] = lambda: None
    # Set by a stop while a reload closes it: its close waits no more for the
    # alert targets (what they have not taken is kept for the next start).
    hurry: threading.Event = field(default_factory=threading.Event)


class Retired:
    """A reload's old generations, each closed in a thread of its own once its
    last run has ended: its close waits up to the webhook timeout plus 5 s for
    its sink's queue, which held the daemon's main thread (signals, the clock's
    look) while the new jobs already ran. A stop hurries and joins them."""

    def __init__(self) -> None:
        self._closing: list[tuple[Generation, threading.Thread]] = []

    def close(self, generation: Generation) -> None:
        """Close ``generation`` in a thread of its own."""
        self._closing = [(g, t) for g, t in self._closing if t.is_alive()]
        thread = threading.Thread(target=_closed, args=(generation,), name="retire", daemon=True)
        self._closing.append((generation, thread))
        thread.start()

    def hurry(self) -> None:
        """A stop: each close still going keeps its unsent alerts, not waiting."""
        for generation, _ in self._closing:
            generation.hurry.set()

    @property
    def busy(self) -> bool:
        """Whether a close is still going."""
        return any(thread.is_alive() for _, thread in self._closing)

    def join(self) -> None:
        """Wait for every close (hurried first: see :meth:`hurry`)."""
        for _, thread in self._closing:
            thread.join()


def _closed(generation: Generation) -> None:
    try:
        generation.close()
    except Exception:  # a bug: its traceback in the log, the daemon goes on
        log.exception("generation_close_failed")


def abandoned(generations: Iterable[Generation]) -> None:
    """A stop past its bound, runs still going: each generation closes at
    once what none of them uses (:attr:`Generation.abandon`). Never raises."""
    for generation in generations:
        try:
            generation.abandon()
        except Exception as exc:  # leaving: one line, never a traceback
            log.warning("abandon_close_failed", error=str(exc))


class Handover:
    """Given the new generation's jobs and the names of the jobs running as the
    old one retires (its stop event already set, so no other of its runs
    starts), hold each panel's new jobs while one of its old runs is in flight."""

    def __init__(self, jobs: Iterable[Job], running: Iterable[str]):
        self.busy = {panel_of(name) for name in running}  # panels whose old runs go on
        self.held: dict[str, list[Job]] = {}
        self.ready: list[Job] = []  # free to start now
        for job in jobs:
            panel = panel_of(job.name)
            if panel in self.busy:
                self.held.setdefault(panel, []).append(job)
            else:
                self.ready.append(job)

    @property
    def done(self) -> bool:
        """Whether every old run has ended (the old generation may be closed)."""
        return not self.busy

    def step(self, running: Iterable[str]) -> list[Job]:
        """Given the names of the jobs running now, return the held jobs free to
        start: those of each panel none of whose old runs is in flight any more.

        A panel still busy has no new job scheduled yet, so each of its runs
        is an old one; a panel released is no longer looked at.
        """
        ended = self.busy - {panel_of(name) for name in running}
        self.busy -= ended
        return [job for panel in sorted(ended) for job in self.held.pop(panel, [])]

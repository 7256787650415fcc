"""The services and refill jobs of every panel, built from a Tracker: each
panel's ``services:<panel>`` job, and its ``refill:<panel>`` round
(:class:`~tracker.jobs.refills.RefillRound`) with ``refill.enabled``; the
rounds' changes, missing actions and services listed twice told to the
Tracker's listeners, a listener's bug never failing a round."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import structlog

from tracker.jobs.base import Core, Job
from tracker.jobs.refills import RefillListener, RefillRound
from tracker.jobs.services import services_job

log = structlog.get_logger("tracker.refill")


def _tell(listeners: list[Callable[[str, str, str], None]], *args: str) -> None:
    for listener in listeners:
        try:
            listener(*args)
        except Exception:  # a listener's bug must not lose a refill round
            log.exception("capability_listener_failed")


def _tell_ambiguous(
    listeners: list[Callable[[str, Sequence[Any]], None]], panel: str, found: Sequence[Any]
) -> None:
    for listener in listeners:
        try:
            listener(panel, found)
        except Exception:  # a listener's bug must not fail the services sync
            log.exception("catalogue_listener_failed")


def notifier(tracker: Core) -> RefillListener:
    """Given the tracker, return a function passing refill changes to its listeners."""

    def notify(changes: list[dict[str, Any]]) -> None:
        for listener in tracker.refill_listeners:
            try:
                listener(changes)
            except Exception:  # a listener's bug must not lose a refill round
                log.exception("refill_listener_failed")

    return notify


def refill_jobs(tracker: Core) -> list[Job]:
    """Return the services and refill jobs of every panel.

    ``services:<panel>`` always runs; ``refill:<panel>`` only with
    ``refill.enabled``.
    """
    config = tracker.config
    secrets = [panel.key.reveal() for panel in config.panels]
    jobs = []
    for name, client in tracker.clients.items():
        told = partial(_tell_ambiguous, tracker.catalogue_listeners)
        sync = partial(services_job, tracker.store, client, tracker.clock, told)
        jobs.append(Job(f"services:{name}", config.schedule.services_every, sync))
        if config.refill.enabled:
            refill_round = RefillRound(
                tracker.store,
                client,
                config.refill,
                clock=tracker.clock,
                stop_event=tracker.stop_event,
                secrets=secrets,
                notify=notifier(tracker),
                on_unsupported=partial(_tell, tracker.capability_listeners),
            )
            jobs.append(Job(f"refill:{name}", config.schedule.refill_every, refill_round.run))
    return jobs

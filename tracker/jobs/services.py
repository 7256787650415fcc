"""The services job: a panel's ``services`` list → the ``services`` table.

It runs on ``[schedule] services_every`` whether or not refills are enabled:
the list is cheap to fetch and ``smm-tracker services`` shows it. A service
listed twice with different terms is believed in neither listing
(:mod:`tracker.rules.catalogue`): the rest of the list is stored as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import structlog

from tracker.errors import AuthError, PanelError, StopRequested
from tracker.panel.client import PanelClient
from tracker.rules.catalogue import Ambiguous, describe, sort_catalogue
from tracker.rules.failing_jobs import SERVICES_FAILED
from tracker.store.catalogue import (
    catalogue_known,
    conflicts,
    mark_alerted,
    save_services,
    unalerted,
)
from tracker.store.orders import Store
from tracker.store.told_marks import failing, told_once

log = structlog.get_logger("tracker.services")

# (panel, services newly ambiguous): told once per episode, by the daemon.
AmbiguityListener = Callable[[str, Sequence[Ambiguous]], None]
_LOGGED = 20  # services named in the log line


def sync_services(
    store: Store,
    client: PanelClient,
    clock: Callable[[], datetime],
    on_ambiguous: AmbiguityListener | None = None,
) -> int:
    """Fetch a panel's services and store them; return how many were stored.

    Services listed twice with different terms are logged (at warning when
    they, or what differs, changed since the last sync; at debug while the
    same; ``services_ambiguous_ended`` when none is left), recorded and, for
    those no alert named yet, handed to ``on_ambiguous``. Raise PanelError if
    the panel cannot be asked or its answer is unusable.
    """
    clear, ambiguous = sort_catalogue(client.services())
    known = catalogue_known(store, client.name, clear)  # the same terms: nothing new
    # What the last sync (of any process: `run --once` from cron) found listed twice
    before = {row["service"]: row["differences"] for row in conflicts(store, client.name)}
    count = save_services(store, client.name, clear, clock(), ambiguous)
    (log.debug if known else log.info)("services_synced", panel=client.name, services=count)
    if ambiguous:
        same = before == {a.service: a.differences for a in ambiguous}  # an episode: once
        (log.debug if same else log.warning)(
            "services_ambiguous",
            panel=client.name,
            count=len(ambiguous),
            services={a.service: describe(a.differences) for a in ambiguous[:_LOGGED]},
            kept="the terms stored before (none: unknown service)",
        )
    elif before:
        log.info("services_ambiguous_ended", panel=client.name, services=sorted(before)[:_LOGGED])
    if ambiguous and on_ambiguous is not None:
        new = set(unalerted(store, client.name))
        told = [a for a in ambiguous if a.service in new]
        if told:
            on_ambiguous(client.name, told)
            mark_alerted(store, client.name, [a.service for a in told], clock())
    return count


def services_job(
    store: Store,
    client: PanelClient,
    clock: Callable[[], datetime],
    on_ambiguous: AmbiguityListener | None = None,
) -> bool:
    """Run one services sync for the scheduler; return True when it succeeded.

    A refused key is raised, as the status job reports it: the Watch pauses
    the panel's jobs and alerts (the services job may be the first to ask,
    at a start). A failure (``services_failed``) is told once per run of
    failed jobs, and so are its calls' ``panel_retry``
    (:mod:`tracker.store.told_marks`): the panel's answers to other calls
    between two jobs began "told once an outage" afresh at each."""
    try:
        with client.failure_told(failing(store, client.name, SERVICES_FAILED)):
            sync_services(store, client, clock, on_ambiguous)
    except (StopRequested, AuthError):
        raise  # not a failure: the daemon reports the stop; the key: see above
    except PanelError as exc:
        told = told_once(store, client.name, SERVICES_FAILED, True, clock())
        told = client.told_before(str(exc), SERVICES_FAILED) or told  # an outage: once
        (log.debug if told else log.error)(SERVICES_FAILED, panel=client.name, error=str(exc))
        return False
    told_once(store, client.name, SERVICES_FAILED, False, clock())
    return True

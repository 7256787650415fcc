"""The services job: a panel's ``services`` list → the ``services`` table.

It runs on ``[schedule] services_every`` whether or not refills are enabled:
the list is cheap to fetch and ``smm-tracker services`` shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from tracker.errors import PanelError, StopRequested
from tracker.panel.client import PanelClient
from tracker.store.orders import Store
from tracker.store.refills import save_services

log = structlog.get_logger("tracker.services")


def sync_services(store: Store, client: PanelClient, clock: Callable[[], datetime]) -> int:
    """Fetch a panel's services and store them; return how many were stored.

    Raise PanelError if the panel cannot be asked or its answer is unusable.
    """
    listed = client.services()
    count = save_services(store, client.name, listed, clock())
    log.info("services_synced", panel=client.name, services=count)
    return count


def services_job(store: Store, client: PanelClient, clock: Callable[[], datetime]) -> bool:
    """Run one services sync for the scheduler; return True when it succeeded."""
    try:
        sync_services(store, client, clock)
    except StopRequested:
        raise  # not a failure: the daemon reports the stop
    except PanelError as exc:
        log.error("services_failed", panel=client.name, error=str(exc))
        return False
    return True

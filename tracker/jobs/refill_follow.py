"""Following refills: open refills → multi ``refill_status`` calls → stored changes.

Open refills are read from SQLite 100 at a time (the API's limit per call);
each answer is committed before the next batch is read. A panel that rejects
multi-ID calls is asked one refill at a time from then on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from tracker.errors import (
    AuthError,
    PanelAnswerError,
    PanelError,
    StopRequested,
    TransientError,
)
from tracker.jobs.refill_requests import MAX_FAILED_CALLS, PanelModes, multi_unsupported
from tracker.panel.client import MAX_IDS, PanelClient
from tracker.panel.models import RefillStatus
from tracker.rules.refills import followed
from tracker.store.capabilities import is_unsupported
from tracker.store.orders import Store
from tracker.store.refills import open_refills, update_refills

log = structlog.get_logger("tracker.refill")


@dataclass
class FollowResult:
    calls: int = 0
    checked: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    auth_failed: bool = False
    gave_up: bool = False  # the panel is unreachable or refused the key: try next run
    # The panel's words when it turned out to have no refill_status action at all.
    unsupported: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def follow_refills(
    store: Store,
    client: PanelClient,
    *,
    clock: Callable[[], datetime],
    modes: PanelModes,
    stop_event: threading.Event | None = None,
    on_changes: Callable[[list[dict[str, Any]]], None] | None = None,
) -> FollowResult:
    """Ask the panel about every open refill and store what changed; return the tally.

    Failures are counted in the result, not raised; a transient failure or a
    refused key ends the run early, and the next run starts over.
    """
    stop = stop_event or threading.Event()
    result = FollowResult()
    after = 0
    if is_unsupported(store, client.name, "refill_status"):
        log.debug("refill_status_unsupported", panel=client.name)
        return result
    while not stop.is_set() and result.unsupported is None:
        rows = open_refills(store, client.name, after=after, limit=MAX_IDS)
        if not rows:
            break
        after = rows[-1]["id"]
        reports = _ask(client, [r["refill_id"] for r in rows], modes, result)
        if reports is None:
            if result.gave_up or result.unsupported or len(result.errors) >= MAX_FAILED_CALLS:
                break
            continue
        updates = {r["id"]: followed(r, reports.get(r["refill_id"])) for r in rows}
        changes = update_refills(store, updates, clock())
        result.checked += len(rows)
        result.changes.extend(changes)
        if changes and on_changes is not None:
            on_changes(changes)
    log.info(
        "refill_follow_done",
        panel=client.name,
        calls=result.calls,
        checked=result.checked,
        changes=len(result.changes),
        errors=len(result.errors),
    )
    return result


def _ask(
    client: PanelClient, refill_ids: list[str], modes: PanelModes, result: FollowResult
) -> dict[str, RefillStatus] | None:
    """Return the panel's reports by refill ID, or None when the call failed."""
    ids = list(dict.fromkeys(refill_ids))
    try:
        if modes.multi_refill_status and len(ids) > 1:
            result.calls += 1
            try:
                return {s.refill_id: s for s in client.refill_statuses(ids)}
            except PanelAnswerError as exc:
                if isinstance(exc, AuthError) or not multi_unsupported(exc):
                    raise
                log.warning("multi_refill_status_unsupported", panel=client.name, answer=exc.detail)
                modes.multi_refill_status = False
        reports = {}
        for refill_id in ids:
            result.calls += 1
            report = reports[refill_id] = client.refill_status(refill_id)
            if report.error and client.lacks_action("refill_status", report.error):
                result.unsupported = report.error
                return None  # nothing learned about these refills: they stay as they are
        return reports
    except StopRequested:
        raise  # not a failure: the daemon reports the stop
    except PanelError as exc:
        result.errors.append(str(exc))
        result.auth_failed = isinstance(exc, AuthError)
        result.gave_up = isinstance(exc, TransientError | AuthError)
        log.error("refill_status_failed", panel=client.name, refills=len(ids), error=str(exc))
        return None

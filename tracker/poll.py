"""The status job: due orders → multi-status calls → one transaction per answer.

IDs are streamed from SQLite ``max_batch`` at a time, at most ``concurrency``
calls are in flight, and every answer is committed before more IDs are read,
so memory stays flat whatever the number of tracked orders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import structlog

from tracker.client import PanelClient
from tracker.clock import Clock
from tracker.errors import AuthError, PanelError, TransientError
from tracker.models import OrderStatus
from tracker.store import Store
from tracker.transitions import Cadence

log = structlog.get_logger("tracker.poll")

# After this many failed batches a poll gives up until its next run.
MAX_FAILED_BATCHES = 3


@dataclass
class PollResult:
    panel: str
    calls: int = 0
    checked: int = 0
    transitions: int = 0
    errors: list[str] = field(default_factory=list)
    auth_failed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def poll_panel(
    store: Store,
    client: PanelClient,
    *,
    clock: Clock,
    cadence: Cadence,
    everything: bool = False,
    stop_event: threading.Event | None = None,
    on_transitions: Callable[[list[dict[str, Any]]], None] | None = None,
) -> PollResult:
    """Check a panel's due open orders; return what happened.

    Failures are counted in the result, not raised: one panel's bad hour never
    stops the daemon. A transient failure (after its retries) or a refused key
    ends this poll early; the next run carries on where it left off.
    """
    panel = client.panel
    stop = stop_event or threading.Event()
    result = PollResult(panel=panel.name)
    started = clock()
    batches = store.due_order_ids(panel.name, started, panel.max_batch, everything=everything)
    with ThreadPoolExecutor(panel.concurrency, thread_name_prefix=f"poll-{panel.name}") as pool:
        pending: dict[Future[dict[int, OrderStatus]], list[int]] = {}
        source: Iterator[list[int]] | None = batches
        while pending or source is not None:
            while source is not None and len(pending) < panel.concurrency and not stop.is_set():
                ids = next(source, None)
                if ids is None:
                    source = None
                    break
                pending[pool.submit(client.statuses, ids)] = ids
            if stop.is_set():
                source = None
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                ids = pending.pop(future)
                if not _store_batch(store, future, ids, result, clock, cadence, on_transitions):
                    source = None  # give up on the rest of this poll
    log.info(
        "poll_done",
        panel=panel.name,
        calls=result.calls,
        checked=result.checked,
        transitions=result.transitions,
        errors=len(result.errors),
    )
    return result


def _store_batch(
    store: Store,
    future: Future[dict[int, OrderStatus]],
    ids: list[int],
    result: PollResult,
    clock: Clock,
    cadence: Cadence,
    on_transitions: Callable[[list[dict[str, Any]]], None] | None,
) -> bool:
    """Commit one answer; return False when the poll should stop early."""
    result.calls += 1
    try:
        reports = future.result()
    except PanelError as exc:
        result.errors.append(str(exc))
        log.error("status_failed", panel=result.panel, orders=len(ids), error=str(exc))
        if isinstance(exc, AuthError):
            result.auth_failed = True
            return False
        return not isinstance(exc, TransientError) and len(result.errors) < MAX_FAILED_BATCHES
    recorded = store.apply_reports(result.panel, ids, reports, clock(), cadence)
    result.checked += len(ids)
    result.transitions += len(recorded)
    if recorded and on_transitions is not None:
        on_transitions(recorded)
    return True

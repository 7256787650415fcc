"""What a run of refill requests came to (:class:`RequestResult`) and its
bookkeeping, for :mod:`tracker.jobs.refill_requests`: each answer counted and
stored with its time, the rows of requests certainly never sent deleted, the
refusals saying an order's earlier refill still runs read In progress, and
when the run gives up (key refused, panel unreachable, answers lost)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from tracker.clock import iso, iso_up, parse_iso
from tracker.errors import (
    OutcomeUnknownError,
    PanelError,
    TransientError,
    UnservedError,
    failure_words,
)
from tracker.jobs.few_lines import tell_named
from tracker.panel.client import PanelClient
from tracker.panel.refusals import is_busy
from tracker.rules.failing_jobs import REFILL_REQUEST_FAILED
from tracker.rules.refill_states import UNKNOWN
from tracker.rules.running_refills import refused_running, running_now
from tracker.store.orders import Store
from tracker.store.refills import forget_unsent, requests_of, update_refills

log = structlog.get_logger("tracker.refill")

# After this many failed calls a run stops; the orders not sent stay eligible.
MAX_FAILED_CALLS = 3


@dataclass
class RequestResult:
    sent: int = 0
    accepted: int = 0
    refused: int = 0
    unknown: int = 0
    unsent: int = 0
    calls: int = 0
    errors: list[str] = field(default_factory=list)
    statuses: list[int | None] = field(default_factory=list)  # each error's HTTP code, if any
    # Each error's call failed before any answer (a TransientError): never a panel's words.
    unanswered: list[bool] = field(default_factory=list)
    # Each error's call answered before the panel's script ran (an UnservedError:
    # a web server's page): only then the fix of a URL refusing access is said.
    unserved: list[bool] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    auth_failed: bool = False
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)  # by order ID
    # The panel's words when it turned out to have no refill action at all.
    unsupported: str | None = None
    # A call refused in those words, the first in a row: the call's failure, not learned.
    refused_once: bool = False
    # A first refusal in those words waits for a second (refill_refused_once): a success forgets it.
    waiting: bool = False
    raced: list[int] = field(default_factory=list)  # requested meanwhile elsewhere: not sent
    running: list[str] = field(default_factory=list)  # refill IDs refusals said still run
    # Multi refill calls refused in these words, each order asked alone then,
    # and whether one was answered: told by tracker.jobs.round_lines.
    multi_refused: list[str] = field(default_factory=list)
    multi_answered: bool = False
    # A call certainly not sent (a bot check, a 429, busy words) in this run;
    # and whether an earlier run told such a run of them (then at debug).
    not_sent: bool = False
    told: bool = False
    # Single calls' answers read, not stored yet (by order ID): what a failure
    # storing one names (`refill ID`: the refill ID the panel gave).
    unstored: dict[int, dict[str, Any]] = field(default_factory=dict)

    def count(self, fields: dict[str, Any]) -> None:
        self.sent += 1
        if fields["refill_id"] is not None:
            self.accepted += 1
        elif fields["status"] == UNKNOWN:
            self.unknown += 1
        else:
            self.refused += 1


def still_running(
    store: Store,
    panel: str,
    answers: dict[int, dict[str, Any]],
    clock: Callable[[], datetime],
    result: RequestResult,
) -> None:
    """Read as In progress the earlier refill of each order one call's answers
    refused "still running" (never a whole multi call's refusal: whose is it?)."""
    running = [o for o, fields in answers.items() if refused_running(fields)]
    if not running:
        return
    updates: dict[int, dict[str, Any]] = {}
    named: dict[int, str] = {}  # order ID -> the refill the panel said still runs
    for order_id, history in requests_of(store, panel, running).items():
        found = running_now(history)
        updates.update(found)
        for row in history:  # running_now's one row, at most
            if row["id"] in found:
                named[order_id] = f"refill {row['refill_id']}"
    try:
        changes = update_refills(store, updates, clock())
    except Exception as exc:  # the refusal is stored; the refill it names goes unread
        said, hint = failure_words(exc), RUNNING_UNSTORED_HINT
        tell_named(
            log.error, log.debug, "refill_running_not_recorded", panel, named, error=said, hint=hint
        )
        raise
    result.running.extend(str(c["refill_id"]) for c in changes)
    if changes:
        log.info("refill_still_running", panel=panel, refills=result.running)
    result.changes.extend(changes)


def gave_up(result: RequestResult) -> bool:
    """Return True once sending more would only repeat a failure (key refused,
    panel unreachable, or several answers lost in a row)."""
    return (
        result.auth_failed
        or result.unsent > 0
        or result.unsupported is not None
        or len(result.errors) >= MAX_FAILED_CALLS
    )


def finish(
    store: Store,
    rows: dict[int, int],
    fields: dict[int, dict[str, Any]],
    clock: Callable[[], datetime],
    result: RequestResult,
) -> None:
    """Store the answers (fields by order ID) of requests already sent, stamped
    with the answer's time: the panel's own cooldown counts from no later."""
    for order_id, values in fields.items():
        result.count(values)
        result.answers[order_id] = values
        result.unstored[order_id] = values  # until stored: a failure storing it names it
    now = parse_iso(iso_up(clock()))  # one whole second: updated_at is never before requested_at
    updates = {rows[o]: {**values, "requested_at": iso(now)} for o, values in fields.items()}
    result.changes.extend(update_refills(store, updates, now))
    for order_id in fields:
        result.unstored.pop(order_id, None)


def unsent(
    store: Store, rows: dict[int, int], order_ids: Sequence[int], result: RequestResult
) -> None:
    """Delete the rows of requests certainly never sent: asked again next round."""
    forget_unsent(store, [rows[o] for o in order_ids])
    result.unsent += len(order_ids)
    for order_id in order_ids:  # an answer saying it was not taken (busy): nothing to name
        result.unstored.pop(order_id, None)


def failed(result: RequestResult, client: PanelClient, exc: PanelError, auth: bool = False) -> None:
    """Count and log a failed call (``auth``: the key refused, which ends the run)."""
    result.errors.append(str(exc))
    result.statuses.append(exc.status)  # its answer's HTTP code: the fix a command says
    lost = isinstance(exc, OutcomeUnknownError) and exc.unanswered  # sent, no answer read
    result.unanswered.append(isinstance(exc, TransientError) or lost)  # a refused port's fix
    result.unserved.append(isinstance(exc, UnservedError))  # a page before the script: its fix
    result.auth_failed = result.auth_failed or auth
    not_sent = not auth and (isinstance(exc, TransientError) or is_busy(exc.detail))
    result.not_sent = result.not_sent or not_sent  # told once per run of them
    told = log.debug if not_sent and result.told else log.error
    told(REFILL_REQUEST_FAILED, panel=client.name, error=str(exc))


# What a failure writing the refills a refusal said still run leaves.
RUNNING_UNSTORED_HINT = (
    "the refusals are recorded; these refills are not read In progress, so each "
    "order is asked again after refill.cooldown (refused while its refill runs)"
)
UNSTORED_HINT = (
    "their requests stay recorded as sent (Requesting, then Unknown): "
    "not sent again inside refill.cooldown"
)
# What to do per kind of answer not stored: alone ("these"), or beside another kind.
_CHECK = {
    "refill": ("check these refills on the panel", "check the refills given on the panel"),
    "refused": (
        "the panel refused these: no refill made, nothing to check",
        "the refused ones made no refill",
    ),
    "outcome unknown": (
        "check on the panel whether these made a refill",
        "check on the panel whether the unknown ones made a refill",
    ),
}


def tell_unstored(panel: str, result: RequestResult, exc: BaseException) -> None:
    """Given a round's requests and what ended it storing their answers
    (``exc``), log the answers read but not stored in one line at error
    (``refill_not_recorded``): each order and the refill ID the panel gave
    (or its refusal, or an outcome unknown), the first few by name."""
    if not result.unstored:
        return
    named = {order: _answer_words(fields) for order, fields in result.unstored.items()}
    kinds = [kind for kind in _CHECK if any(w.startswith(kind) for w in named.values())]
    steps = [_CHECK[kind][len(kinds) > 1] for kind in kinds]
    said, hint = failure_words(exc), "; ".join([UNSTORED_HINT, *steps])
    tell_named(log.error, log.debug, "refill_not_recorded", panel, named, error=said, hint=hint)


def _answer_words(fields: dict[str, Any]) -> str:
    if fields["refill_id"] is not None:
        return f"refill {fields['refill_id']}"
    words = str(fields.get("error") or "")[:200]
    return f"outcome unknown: {words}" if fields["status"] == UNKNOWN else f"refused: {words}"

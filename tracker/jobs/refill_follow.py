"""Following refills: open refills → multi ``refill_status`` calls → stored changes.

Open refills are read from SQLite 100 at a time (the API's limit per call);
each answer is committed before the next batch is read. A panel that rejects
multi-ID calls is asked one refill at a time from then on.

An answer naming none of the refills asked (``[]``, ``{}``, other IDs) is a
failure of the call, like an unreadable one: logged, the refills untouched.
A refill an answer leaves out while naming others is asked alone
(``refill=ID``) before anything counts against it: panels misfile multi answers.
An answer to ``refill=ID`` naming another refill (``{"refill": 8, ...}`` to
``refill=7``) is no news of it: logged, the refill left open and asked again.
An answer saying every refill of a call is lost ("Refill not found", "Error")
counts towards closing them as Unknown only while the panel is
known to answer refill_status: it reported a status in this run, or the
newest other refill it answered with a status in the last WITNESS_WITHIN (a
witness) comes back with one when asked once. Otherwise the errors are the
panel's, not the refills': they are kept on the rows, uncounted, and
``refill_status_not_trusted`` is logged (at warning once, the runs after it
at debug until one trusts the panel again). With no witness (a panel that has
said nothing else for a day) they count, as before: a refill purged by the
panel must not block its order for ever.
A refill whose ID the panel also gave to another order is not asked about:
an answer about that ID cannot be told apart, so it is closed Unknown
(``refill_id_shared`` in the log, once: it is no longer followed).
Requests stamped ahead of the clock (set back since) are first stamped now
(``refill_requests_restamped``): their cooldown waited for the clock before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from tracker.errors import (
    AuthError,
    MisfiledAnswerError,
    PanelAnswerError,
    PanelError,
    StopRequested,
    TransientError,
)
from tracker.jobs.refill_outcomes import MAX_FAILED_CALLS
from tracker.jobs.refill_requests import PanelModes
from tracker.jobs.refill_shared_ids import close_shared
from tracker.jobs.refused_once import second_refusal, succeeded
from tracker.jobs.round_lines import tell_left_out
from tracker.panel.client import MAX_IDS, PanelClient
from tracker.panel.models import RefillStatus
from tracker.panel.parse_refill_status import NO_REFILL_STATUS
from tracker.rules.capabilities import multi_unsupported, refused_once
from tracker.rules.failing_jobs import REFILL_STATUS_FAILED
from tracker.rules.refills import NOT_IN_ANSWER, followed, reported, says_lost
from tracker.rules.running_refills import HOLD_COOLDOWNS, held, kept_running
from tracker.store.capabilities import is_unsupported
from tracker.store.orders import Store
from tracker.store.refill_holds import running_since
from tracker.store.refill_stamps import restamp_future_requests
from tracker.store.refills import open_refills, update_refills, witness_refill
from tracker.store.told_marks import failing, told_once

log = structlog.get_logger("tracker.refill")

# A refill answered with a status this recently vouches for the panel's errors.
WITNESS_WITHIN = timedelta(days=1)


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
    trusted: bool | None = None  # its errors vouched for this run (None: not asked yet)
    # Each multi answer leaving refills out: the refills asked, and those left out.
    left_out: list[tuple[int, list[str]]] = field(default_factory=list)
    multi_answered: bool = False  # a multi refill_status call answered (tracker.jobs.round_lines)
    failed_whole: bool = False  # a call failed whole: the round's run of them goes on
    told: bool = False  # an earlier round told that run of failed calls: at debug

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
    cooldown: float | None = None,
) -> FollowResult:
    """Ask the panel about every open refill and store what changed; return the tally.

    Failures are counted in the result, not raised; a transient failure or a
    refused key ends the run early, and the next run starts over. A refill
    read running from a refusal stays so HOLD_COOLDOWNS ``cooldown``s at most
    (None: no limit).
    """
    stop = stop_event or threading.Event()
    result = FollowResult()
    after = 0
    if restamped := restamp_future_requests(store, client.name, clock()):
        log.warning("refill_requests_restamped", panel=client.name, requests=restamped)
    if is_unsupported(store, client.name, "refill_status", client.panel.url):
        log.debug("refill_status_unsupported", panel=client.name)
        return result
    result.told = failing(store, client.name, REFILL_STATUS_FAILED)
    while not stop.is_set() and result.unsupported is None:
        rows = open_refills(store, client.name, after=after, limit=MAX_IDS)
        if not rows:
            break
        after = rows[-1]["id"]
        shared, closed = close_shared(store, client.name, rows, clock())
        if shared:
            result.checked += len(shared)
            result.changes.extend(closed)
            if closed and on_changes is not None:
                on_changes(closed)
            rows = [r for r in rows if r["id"] not in shared]
            if not rows:
                continue
        with client.failure_told(result.told):  # its panel_retry too
            reports = _ask(client, [r["refill_id"] for r in rows], modes, result)
        if reports is None and result.unsupported is not None:
            _first_or_second(store, client, result, clock())
            break  # learned missing, or this round's failure: the rest asked next round
        if reports is None:
            if result.gave_up or result.unsupported or len(result.errors) >= MAX_FAILED_CALLS:
                break
            continue
        asked = [r["refill_id"] for r in rows]
        if any(reported(r) for r in reports.values()):  # a first refusal forgotten
            succeeded(store, client.name, "refill_status", client.panel.url)
        trusted = _trusted(store, client, reports, asked, clock(), result, modes)
        since, now = running_since(store, [r["id"] for r in rows if held(r)]), clock()
        hold = None if cooldown is None else cooldown * HOLD_COOLDOWNS
        updates = {
            r["id"]: kept_running(
                r,
                followed(r, reports.get(r["refill_id"]), trusted=trusted),
                since=since.get(r["id"]),
                now=now,
                hold=hold,
            )
            for r in rows
        }
        changes = update_refills(store, updates, now)
        result.checked += len(rows)
        result.changes.extend(changes)
        if changes and on_changes is not None:
            on_changes(changes)
    if result.calls:  # a run of failed calls goes on, or ends (across run --once runs)
        told_once(store, client.name, REFILL_STATUS_FAILED, result.failed_whole, clock())
    tell_left_out(store, client.name, result, clock())
    (log.info if result.changes or result.errors else log.debug)(  # nothing new: debug
        "refill_follow_done",
        panel=client.name,
        calls=result.calls,
        checked=result.checked,
        changes=len(result.changes),
        errors=len(result.errors),
    )
    return result


def _first_or_second(
    store: Store, client: PanelClient, result: FollowResult, now: datetime
) -> None:
    """``result.unsupported``: a refill_status call refused in a missing
    action's words. The second in a row (no status answered between, in
    this round or an earlier one) learns it missing (kept in ``result``,
    told); the first is this call's failure, one a flaky panel may give."""
    words = result.unsupported or ""
    url = client.panel.url
    # The first is told below (refill_status_failed), not at debug too.
    if second_refusal(
        store, client.name, "refill_status", now, known=False, url=url, key=client.panel.key
    ):
        client.found_missing("refill_status", words)
        return
    result.unsupported = None
    error = str(PanelAnswerError(refused_once("refill_status", words), panel=client.name))
    result.errors.append(error)
    log.error("refill_status_failed", panel=client.name, refills=1, error=error)


def _trusted(
    store: Store,
    client: PanelClient,
    reports: dict[str, RefillStatus],
    asked: list[str],
    now: datetime,
    result: FollowResult,
    modes: PanelModes,
) -> bool:
    """Return whether the errors in ``reports`` (the answer about the refills
    ``asked``) may count against their refills (see the module's docstring);
    once known, the answer holds for the rest of the run. Not trusted is
    logged at warning once until a run trusts the panel again, then at debug."""
    if any(reported(r) for r in reports.values()):
        result.trusted, modes.untrusted_told = True, False
    if result.trusted is not None or not any(says_lost(reports.get(i)) for i in asked):
        return result.trusted is not False
    witness = witness_refill(store, client.name, now - WITNESS_WITHIN, asked)
    if witness is None:
        modes.untrusted_told = False
        return True
    result.calls += 1
    try:
        report = client.refill_status(witness)
    except StopRequested:
        raise
    except PanelError as exc:
        report = RefillStatus(witness, error=str(exc))
    result.trusted = reported(report)
    if not result.trusted:
        error = report.error or NOT_IN_ANSWER
        told = log.debug if modes.untrusted_told else log.warning
        told("refill_status_not_trusted", panel=client.name, witness=witness, error=error)
    modes.untrusted_told = not result.trusted
    return result.trusted


def _ask(
    client: PanelClient, refill_ids: list[str], modes: PanelModes, result: FollowResult
) -> dict[str, RefillStatus] | None:
    """Return the panel's reports by refill ID, or None when the call failed."""
    ids = list(dict.fromkeys(refill_ids))
    try:
        if modes.multi_refill_status and len(ids) > 1:
            result.calls += 1
            try:
                found = {s.refill_id: s for s in client.refill_statuses(ids)}
                missing = [i for i in ids if i not in found]
                result.multi_answered = True
                if missing:  # misfiled by the panel? asked alone before any counts as lost
                    result.left_out.append((len(ids), missing))  # told once the round ends
                    _ask_alone(client, missing, found, result)
                return found
            except PanelAnswerError as exc:
                if isinstance(exc, AuthError) or not multi_unsupported(exc):
                    raise
                log.warning("multi_refill_status_unsupported", panel=client.name, answer=exc.detail)
                modes.multi_refill_status = False
        reports = {}
        for refill_id in ids:
            result.calls += 1
            report = reports[refill_id] = _one(client, refill_id, result)
            if report.error and client.refused_as_missing("refill_status", report.error):
                result.unsupported = report.error  # learned at the second in a row
                return None  # nothing learned about these refills: they stay as they are
        return reports
    except StopRequested:
        raise  # not a failure: the daemon reports the stop
    except PanelError as exc:
        result.errors.append(str(exc))
        result.auth_failed = isinstance(exc, AuthError)
        result.gave_up = isinstance(exc, TransientError | AuthError)
        result.failed_whole = True  # told once per run of them (tracker.store.told_marks)
        told = log.debug if result.told else log.error
        told(REFILL_STATUS_FAILED, panel=client.name, refills=len(ids), error=str(exc))
        return None


def _one(client: PanelClient, refill_id: str, result: FollowResult) -> RefillStatus:
    """Ask one refill alone. An answer about another refill is no news of this
    one, which stays as it is (the call counted failed, in the log) and no
    failure of the panel as a whole: the other refills are still asked (a
    panel misfiling one refill's answer for good held up all of its batch's).
    Any other failure raises."""
    try:
        return client.refill_status(refill_id)
    except MisfiledAnswerError as exc:
        result.errors.append(str(exc))
        log.error("refill_status_failed", panel=client.name, refills=1, error=str(exc))
        return RefillStatus(refill_id, error=f"{NO_REFILL_STATUS}: {exc.detail}")


def _ask_alone(
    client: PanelClient, missing: list[str], found: dict[str, RefillStatus], result: FollowResult
) -> None:
    """Ask each refill a multi answer left out with a single call (panels file a
    multi answer under the wrong key while ``refill=ID`` works), into ``found``.
    An answer about another refill is no news of the one asked, and the next
    are still asked; any other failure ends it: the refills not asked say
    nothing this run."""
    for index, refill_id in enumerate(missing):
        result.calls += 1
        try:
            found[refill_id] = client.refill_status(refill_id)
            continue
        except StopRequested:
            raise
        except PanelError as exc:
            log.warning(
                "refill_status_not_answered_alone",
                panel=client.name,
                refill=refill_id,
                error=str(exc),
            )
            why = f"{NO_REFILL_STATUS}: not answered alone ({exc})"
            if isinstance(exc, MisfiledAnswerError):
                found[refill_id] = RefillStatus(refill_id, error=why)
                continue
            found.update({rest: RefillStatus(rest, error=why) for rest in missing[index:]})
            return

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
from datetime import datetime, timedelta
from typing import Any

import structlog

from tracker.errors import PanelAnswerError, PanelError, StopRequested
from tracker.jobs.refill_asks import FollowResult, ask_refills
from tracker.jobs.refill_outcomes import MAX_FAILED_CALLS
from tracker.jobs.refill_requests import PanelModes
from tracker.jobs.refill_shared_ids import close_shared
from tracker.jobs.refused_once import second_refusal, succeeded
from tracker.jobs.round_lines import tell_left_out
from tracker.panel.client import MAX_IDS, PanelClient
from tracker.panel.models import RefillStatus
from tracker.rules.capabilities import refused_once
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
            reports = ask_refills(client, [r["refill_id"] for r in rows], modes, result)
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

"""The status job: due orders → multi-status calls → one transaction per answer.

How one batch is asked (splitting, re-asking missing IDs) is :mod:`tracker.jobs.asking`.

IDs are streamed from SQLite ``max_batch`` at a time, at most ``concurrency``
calls are in flight, and answers are stored a few at a time (GROUP_ANSWERS,
or within HOLD_SECONDS), each group in one transaction, so memory stays flat
whatever the number of tracked orders and a crash keeps whole answers or none.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain
from queue import Empty, SimpleQueue
from typing import Any

import structlog

from tracker.clock import Clock
from tracker.jobs.asking import ask_batch
from tracker.jobs.batch_answer import Answer
from tracker.jobs.few_lines import FewLines
from tracker.jobs.late_checks import LATE_CALL, LateChecks, kept_lines, tell_kept
from tracker.jobs.poll_result import PollResult, count_failure, failed, late_done
from tracker.panel.client import PanelClient
from tracker.rules.counts import counted
from tracker.rules.money import charged_in
from tracker.rules.transitions import Cadence, horizons
from tracker.store.orders import Store

log = structlog.get_logger("tracker.poll")

# Answers are stored in groups of this many, one transaction each, or after
# the first of them has waited HOLD_SECONDS, or when nothing else is in flight:
# each page an answer dirties is then written to the WAL once per group, not
# once per answer (measured: 4 answers per transaction cost ~12% less CPU and
# ~30% less wall to store than one at a time). A crash loses at most the held
# answers, which the next poll asks again; never half of one.
GROUP_ANSWERS = 4
HOLD_SECONDS = 0.2


def poll_panel(
    store: Store,
    client: PanelClient,
    *,
    clock: Clock,
    cadence: Cadence,
    everything: bool = False,
    stop_event: threading.Event | None = None,
    on_transitions: Callable[[list[dict[str, Any]]], None] | None = None,
    on_lost: Callable[[list[dict[str, Any]]], None] | None = None,
    on_refunds: Callable[[list[dict[str, Any]], list[dict[str, Any]]], None] | None = None,
    idle: Callable[[], bool] | None = None,
    told: Collection[str] = (),
    told_refusal: bool = False,
    failing_said: bool = False,
) -> PollResult:
    """Check a panel's due open orders; return what happened.

    Failures are counted in the result, not raised: one panel's bad hour never
    stops the daemon. A failed call is the panel's failure, never its orders':
    they are left untouched. ``on_lost`` gets, once, when the poll ends
    (however it ends: done, stopped, failing or raising), every order it
    stored as stopped because the panel kept calling it unknown (one
    ``order_lost`` per poll, not one per group of answers). A transient failure
    (after its retries) or a refused key ends this poll early; the next run
    carries on where it left off.

    Once its due open orders are all handed out, the poll asks ended orders
    due for a late check (``cadence.late_checks``; see
    :mod:`tracker.jobs.late_checks`), a few calls at most; ``on_refunds``
    gets, once when the poll ends, the refunds they found and the ended
    orders they found charged more.

    ``idle`` is called while no answer has come back, to do a little work
    (a few ms) in the time the poll waits on the panel; it returns True while
    it has more to do (``run --once``: :class:`tracker.jobs.prejudge.Prejudge`).

    ``told``: the errors of the panel's poll before. A failed call is logged
    (``status_failed``) at error unless this poll or that one already had the
    same error: then at debug, so an outage is not told once per batch and poll.
    So is every failure while an earlier ``run --once`` told the panel's
    outage or failing polls (the client's ``carried``, ``polls_carried``);
    ``told_refusal``: it told the key refused (``auth_failed`` open), a
    refusal of the key at debug (:mod:`tracker.jobs.carried`).
    ``failing_said``: an open alert says the panel's polls fail (``status_failing``,
    ``panel_unreachable``, ``auth_failed``): a failed poll's ``poll_done`` at
    debug unless it changed a status or gave an order up (an outage told once).
    """
    panel = client.panel
    stop = stop_event or threading.Event()
    result = PollResult(
        panel=panel.name,
        told=told,
        carried=lambda: client.carried or client.polls_carried,
        refusal_told=told_refusal,
    )
    started = clock()
    began, cpu = time.perf_counter(), time.process_time()
    witness = store.known_order(panel.name)  # see ask_batch
    ahead = horizons(cadence)
    if not everything and (count := store.ahead_count(panel.name, started, ahead)):
        # Stamped by a clock since set back (or under a longer status_max_every):
        # waiting for the clock to catch up would leave them unchecked for that long.
        log.warning("next_checks_beyond_schedule", panel=panel.name, orders=count)
    due = store.due_order_ids(
        panel.name, started, panel.max_batch, everything=everything, horizons=ahead
    )
    delays = cadence.late_checks
    # A poll's re-priced orders, open and ended alike: the first few by name.
    charged = FewLines(log.info, log.debug, "order_charge_changed", panel.name, "changed")
    late = LateChecks(store, panel.name, delays, clock, charged) if delays else None
    # Ended orders whose charge came in another currency, kept: told as the late checks tell them.
    kept = late.kept if late is not None else kept_lines(panel.name)
    # Open orders first; the late checks' IDs are read (a generator) once those are all out.
    later = late.batches(panel.max_batch) if late is not None else iter(())
    source: Iterator[tuple[list[int], bool]] | None = chain(
        ((ids, False) for ids in due), ((ids, True) for ids in later)
    )
    # Twice as many batches as calls may be in flight: the client's own limit
    # keeps ``concurrency`` requests on the wire, and a queued batch goes out
    # the moment one comes back, while its answer is still being parsed.
    queued = 2 * panel.concurrency
    with ThreadPoolExecutor(queued, thread_name_prefix=f"poll-{panel.name}") as pool:
        pending: dict[Future[Answer], list[int]] = {}
        lates: set[Future[Answer]] = set()  # late checks' calls
        # Each call's future, put here by its worker the moment it is done:
        # the poll thread waits on this one queue, not on every future.
        finished: SimpleQueue[Future[Answer]] = SimpleQueue()

        def fill(
            source: Iterator[tuple[list[int], bool]] | None,
        ) -> Iterator[tuple[list[int], bool]] | None:
            """Submit batches until ``queued`` are pending; return None once the
            due IDs are exhausted or the poll is stopping."""
            while source is not None and len(pending) < queued:
                if stop.is_set():  # the due orders left are the next run's
                    result.stopped = True
                    return None
                batch = next(source, None)
                if batch is None:
                    return None
                ids, is_late = batch
                # In the job's log context: a retry logged there names the job.
                asking = contextvars.copy_context()
                if is_late:  # its failure is not the panel's (jobs/late_checks)
                    asking.run(LATE_CALL.set, True)
                future = pool.submit(asking.run, ask_batch, client, ids, witness)
                pending[future] = ids
                future.add_done_callback(finished.put)
                if is_late:
                    lates.add(future)
            return source

        def store_answers(answered: list[tuple[list[int], Answer]]) -> None:
            """Store answers in one transaction; count them in ``result``."""
            settled = [(ids, answer, answer.settled(ids)) for ids, answer in answered]
            lost: list[dict[str, Any]] = []
            odd: list[dict[str, Any]] = []
            repriced: list[dict[str, Any]] = []
            writing = time.perf_counter()
            recorded = store.apply_answers(
                panel.name,
                [(asked, answer.reports) for _, answer, asked in settled if asked],
                clock(),
                cadence,
                polled_at=started,
                lost=lost,
                odd=odd,
                repriced=repriced,
            )
            given_up.extend(lost)  # stored as stopped: told at the poll's end
            result.write_s += time.perf_counter() - writing
            for order in odd:  # over a good one, not stored; logged once an order and process
                client.tell_quirk(  # at debug when an earlier run told it (jobs/quirks.py)
                    "remains_not_a_delivery_figure",
                    f"remains_odd:{order['order_id']}",
                    order=order["order_id"],
                    remains=order["remains"],
                    quantity=order["quantity"],
                )
            for order in repriced:  # counted at its latest value; the change said once
                if order.get("kept"):  # an ended order's charge in another currency: kept
                    tell_kept(kept, order, late=False)
                else:
                    before, after = order["before"], order["after"]
                    charged.tell(order["order_id"], before=before, after=after, **charged_in(order))
            for ids, answer, asked in settled:
                result.calls += answer.calls
                result.checked += len(asked)
                if len(asked) < len(ids) and stop.is_set():
                    result.stopped = True  # the rest of a split batch: the stop's
                elif len(asked) < len(ids):
                    why = answer.why or "the panel failed while a batch was being split or re-asked"
                    left = len(ids) - len(asked)
                    error = f"{panel.name}: status: {counted(left, 'order')} left unsettled: {why}"
                    failed(result, error, ids)
            result.transitions += len(recorded)
            result.lost += len(lost)
            if recorded and on_transitions is not None:
                on_transitions(recorded)

        # Orders this poll stored as given up, told in one order_lost when it
        # ends (one alert per panel and poll, not one per group of answers).
        given_up: list[dict[str, Any]] = []
        try:
            source = fill(source)
            held: list[tuple[list[int], Answer]] = []  # answered, not stored yet
            held_since = 0.0
            while pending or held:
                done: list[Future[Answer]] = []
                if pending:
                    left = max(0.0, held_since + HOLD_SECONDS - time.monotonic()) if held else None
                    done = _wait(finished, left, None if stop.is_set() else idle)
                for future in done:
                    ids = pending.pop(future)
                    error = future.exception()
                    if future in lates and late is not None:
                        lates.discard(future)
                        if not late_done(result, late, ids, future):
                            source = None  # no more late checks this poll
                    elif error is None:
                        if not held:
                            held_since = time.monotonic()
                        held.append((ids, future.result()))
                    elif not count_failure(result, error, ids):
                        source = None  # give up on the rest of this poll
                # Refill the freed slots before writing, so the panel works on the
                # next batches while this thread stores the answers (the keyset
                # cursor never hands out an ID that is still in flight or held).
                source = fill(source)
                if held and (
                    len(held) >= GROUP_ANSWERS
                    or not pending
                    or stop.is_set()
                    or time.monotonic() - held_since >= HOLD_SECONDS
                ):
                    store_answers(held)
                    held = []
        finally:
            # However the poll ends (a stop, a failed call, a StoreError or a
            # bug in a later group), the orders already stored as stopped are
            # told: a give-up is never silent. Only a process killed meanwhile
            # loses the alert; `doctor` still counts them.
            charged.finish()  # a log line: raises nothing
            if late is None:
                kept.finish()
            if given_up and on_lost is not None:
                on_lost(given_up)
            if late is not None:
                late.finish()
                result.late, result.late_failed = late.checked, late.failures
                result.refunds = len(late.refunds)
                if (late.refunds or late.overcharged) and on_refunds is not None:
                    on_refunds(late.refunds, late.overcharged)
    result.wall_s = time.perf_counter() - began
    result.cpu_s = time.process_time() - cpu
    unsaid = result.errors and not failing_said  # else said by the open alert
    changed = result.transitions or unsaid or result.lost  # else nothing new: debug
    (log.info if changed else log.debug)(
        "poll_done",
        panel=panel.name,
        calls=result.calls,
        checked=result.checked,
        transitions=result.transitions,
        late=result.late,
        errors=len(result.errors),
        wall_s=round(result.wall_s, 4),
        cpu_s=round(result.cpu_s, 4),
        write_s=round(result.write_s, 4),
    )
    return result


def _wait(
    finished: SimpleQueue[Future[Answer]],
    timeout: float | None,
    idle: Callable[[], bool] | None,
) -> list[Future[Answer]]:
    """Wait up to ``timeout`` (None: no limit) for an answer; until one comes,
    let ``idle`` work a step at a time while it has work. Return those done
    (none when the timeout passed first)."""
    if idle is not None:
        until = None if timeout is None else time.monotonic() + timeout
        while finished.empty():
            if (until is not None and time.monotonic() >= until) or not idle():
                timeout = None if until is None else max(0.0, until - time.monotonic())
                break
        else:
            return _taken(finished)
    try:
        first = finished.get(timeout=timeout)
    except Empty:
        return []
    return [first, *_taken(finished)]


def _taken(finished: SimpleQueue[Future[Answer]]) -> list[Future[Answer]]:
    """Return every future in ``finished`` now, taken out."""
    done = []
    while not finished.empty():
        done.append(finished.get_nowait())
    return done

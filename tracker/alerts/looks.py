"""A sink's look at the alerts its targets did not take: :func:`look` runs
:func:`tracker.alerts.redeliver.redeliver` with the webhook's one-attempt
POST and each Apprise target's delivery, one look at a time in a process
(a reload's two sinks), and logs what it did. Apart from the
:class:`~tracker.alerts.redeliver.Keeper` it reads, at its size limit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

import structlog

from tracker.alerts.deliveries import WEBHOOK
from tracker.alerts.notify import NotifyTarget
from tracker.alerts.redeliver import _LOOKING, Deliver, Keeper, redeliver
from tracker.rules.episodes import Alert
from tracker.rules.redelivery import PER_PASS

log = structlog.get_logger("tracker.webhook")


def look(
    keeper: Keeper,
    webhook: Deliver | None,
    notify: Sequence[NotifyTarget],
    stopped: Callable[[], bool],
    took: Callable[[str], None] | None = None,
    failed: Callable[[str, Alert, str], None] | None = None,
) -> bool:
    """Run :func:`redeliver` for a sink: its webhook's one-attempt POST (None:
    no webhook) and its Apprise targets; log what it did; ``took`` is told
    each target that takes an alert again (its outage over), ``failed`` each
    that does not (the target, the alert, why): its outage goes on. Return True when
    more may be due at once (a whole look's worth, every one taken): a
    backlog after an outage drains without waiting a look for each 20.
    Never raises."""
    deliver: dict[str, Deliver] = {WEBHOOK: webhook} if webhook is not None else {}
    for target in notify:
        deliver[target.name] = partial(_notify_late, target)
    if took is not None or failed is not None:
        deliver = {name: partial(_told, fn, name, took, failed) for name, fn in deliver.items()}
    if not _LOOKING.acquire(blocking=False):  # a reload's other sink is looking: later
        return False
    troubles = keeper.troubles
    try:
        counts = redeliver(keeper, deliver, stopped)
    except Exception as exc:  # never let the look end the sink's thread (a bug: its traceback)
        log.exception("alerts_redelivery_failed", error=type(exc).__name__)
        return False
    finally:
        _LOOKING.release()
    if counts["alerts"]:
        log.info("alerts_redelivery", **counts)
    if keeper.troubles != troubles:  # the database did not take a note: no look at once
        return False
    return counts["alerts"] >= PER_PASS and not (counts["failed"] or counts["skipped"])


def _notify_late(target: NotifyTarget, alert: Alert, late: str) -> str | None:
    return target.deliver(replace(alert, message=late + alert.message))


def _told(
    deliver: Deliver,
    name: str,
    took: Callable[[str], None] | None,
    failed: Callable[[str, Alert, str], None] | None,
    alert: Alert,
    late: str,
) -> str | None:
    error = deliver(alert, late)
    if error is None and took is not None:
        took(name)
    elif error is not None and failed is not None:
        failed(name, alert, error)
    return error

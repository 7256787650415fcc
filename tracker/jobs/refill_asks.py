"""A refill round's ``refill_status`` calls (:mod:`tracker.jobs.refill_follow`)
and what they came to, :class:`FollowResult`: a multi call, a panel refusing
multi-ID calls asked one refill at a time from then on, a refill a multi
answer left out asked alone (``refill=ID``), an answer about another refill no
news of the one asked."""

from __future__ import annotations

from dataclasses import dataclass, field
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
from tracker.jobs.refill_requests import PanelModes
from tracker.panel.client import PanelClient
from tracker.panel.models import RefillStatus
from tracker.panel.parse_refill_status import NO_REFILL_STATUS
from tracker.rules.capabilities import multi_unsupported
from tracker.rules.failing_jobs import REFILL_STATUS_FAILED

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
    trusted: bool | None = None  # its errors vouched for this run (None: not asked yet)
    # Each multi answer leaving refills out: the refills asked, and those left out.
    left_out: list[tuple[int, list[str]]] = field(default_factory=list)
    multi_answered: bool = False  # a multi refill_status call answered (tracker.jobs.round_lines)
    failed_whole: bool = False  # a call failed whole: the round's run of them goes on
    told: bool = False  # an earlier round told that run of failed calls: at debug

    @property
    def ok(self) -> bool:
        return not self.errors


def ask_refills(
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

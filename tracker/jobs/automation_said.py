"""What the automation says of its actions: the alert of a round's re-orders
or cancels (``automation_reordered``, ``automation_canceled``), their
outcomes in a few words, and a cancel call's answers it could not store
(``cancel_not_recorded``). The base of :class:`tracker.jobs.cancels.PanelActions`."""

from __future__ import annotations

from typing import Any

import structlog

from tracker.alerts.alerter import Alerter
from tracker.errors import failure_words
from tracker.jobs.few_lines import tell_named
from tracker.panel.values import quoted
from tracker.rules.alerts import order_ids as shown_ids
from tracker.rules.counts import counted
from tracker.rules.episodes import Alert
from tracker.rules.reorders import DRY_RUN, REFUSED, UNKNOWN
from tracker.store.cancels import ACCEPTED
from tracker.store.cancels import REFUSED as CANCEL_REFUSED
from tracker.store.cancels import UNKNOWN as CANCEL_UNKNOWN

log = structlog.get_logger("tracker.automation")

AUTOMATION_REORDERED = "automation_reordered"
AUTOMATION_CANCELED = "automation_canceled"
_SAID = {ACCEPTED: "cancel accepted", CANCEL_REFUSED: "refused", CANCEL_UNKNOWN: "outcome unknown"}
HINT = "their actions stay recorded as sent (Sending, then Unknown): not sent again; see the panel"


class SaysActions:
    """The alert of :class:`tracker.jobs.cancels.PanelActions`' actions."""

    panel: str
    alerter: Alerter

    def _announce(
        self, kind: str, order_ids: list[int], dry: bool, outcomes: list[dict[str, Any]]
    ) -> None:
        if not order_ids:
            return
        what = "re-order" if kind == AUTOMATION_REORDERED else "cancel"
        severity = ""  # the kind's own (info)
        if dry:
            message = f"{self.panel}: dry run: would {what} {counted(len(order_ids), 'order')}: "
            message += shown_ids(order_ids)
            outcomes = [{"order_id": o, "status": DRY_RUN} for o in order_ids]
        else:
            told = told_outcomes(outcomes, "placed" if what == "re-order" else "accepted")
            orders = counted(len(order_ids), "order")
            message = f"{self.panel}: automatic {what} of {orders}: {told}"
            if any(o["status"] in (REFUSED, UNKNOWN) or o.get("also_said") for o in outcomes):
                severity = "warning"  # not done, or maybe done: a person should look
        data = {"dry_run": dry, "orders": outcomes}
        alert = Alert(kind, message, panel=self.panel, severity=severity, data=data)
        self.alerter.raise_alert(alert)


def tell_unstored(panel: str, results: list[tuple[int, str, str | None]], exc: Exception) -> None:
    """Given what the panel answered to a cancel call (order, result, error)
    and what ended storing it, log each order's answer in one line at error
    (``cancel_not_recorded``), the first few by name."""
    if named := {o: _SAID[r] + (f": {e[:200]}" if e else "") for o, r, e in results}:
        said = failure_words(exc)
        tell_named(log.error, log.debug, "cancel_not_recorded", panel, named, error=said, hint=HINT)


def told_outcomes(outcomes: list[dict[str, Any]], done: str) -> str:
    """Given what each automatic action came to, return them in a few words:
    "#1, #2 placed; #5 placed, but the panel also said: 'Not enough funds' -
    check the panel; #3 refused: 'Not enough funds'; #4 outcome unknown - check
    the panel: 'panel busy: Too many requests'" (the first one's words, cut:
    a placement's ``also_said``, a refusal's error, or what an unknown
    outcome's ``cause`` says was seen)."""
    parts = []
    for status, word in ((REFUSED, "refused"), (UNKNOWN, "outcome unknown - check the panel")):
        ids = [o["order_id"] for o in outcomes if o["status"] == status]
        if ids:
            said = [o.get("cause") or o.get("error") for o in outcomes if o["status"] == status]
            errors = [e for e in said if e]
            why = f": {quoted(errors[0], 80)}" if errors else ""
            parts.append(f"{shown_ids(ids)} {word}{why}")
    sent = [o for o in outcomes if o["status"] not in (REFUSED, UNKNOWN)]
    ok = [o["order_id"] for o in sent if not o.get("also_said")]
    if worded := [o for o in sent if o.get("also_said")]:  # its ID beside "Not enough funds"
        also, named = quoted(worded[0]["also_said"], 80), shown_ids([o["order_id"] for o in worded])
        parts.insert(0, f"{named} {done}, but the panel also said: {also} - check the panel")
    return "; ".join(([f"{shown_ids(ok)} {done}"] if ok else []) + parts)

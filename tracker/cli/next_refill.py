"""When one order's next automatic refill request will be, or why none will:
the line `history ID` prints among its notes and `refills --order ID` after
its table. Asked of the refill round's own rule
(:func:`tracker.rules.refill_eligibility.next_request`) at this moment, with
what the round reads: the order, its requests, its panel learned without
``refill``, its last drop probe. Reads only; loaded by those two commands
alone, and only for an order the refills are about (and by `refill ID` held
back, for :func:`refused_last`'s words)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.cli.render import PANEL_WORDS, safe_text
from tracker.cli.screen import Screen, moment
from tracker.clock import iso, parse_iso
from tracker.config.durations import format_duration
from tracker.config.model import Config, RefillConfig
from tracker.rules import refill_eligibility as rule
from tracker.rules.not_answering import not_answering_said
from tracker.rules.refill_eligibility import (
    OrderFacts,
    manual_blocker,
    next_request,
    order_facts,
    past_request,
)
from tracker.rules.refill_states import REFUSED, PastRequest
from tracker.store.capabilities import is_unsupported
from tracker.store.listing import not_answering
from tracker.store.orders import Store
from tracker.store.probes import last_probed, probes_of
from tracker.store.refills import order_of, requests_of

NEXT = "next automatic refill request"
NONE = "no automatic refill request"


@dataclass(frozen=True)
class Upcoming:
    """An order's next automatic refill request: ``at``, the moment from which
    the first refill round asks it (``now`` when the next round does), None
    when no moment is known; ``expected``, False when none will go; ``why``,
    the words `history ID` prints after "next automatic refill request:"
    (or "no automatic refill request:")."""

    at: datetime | None
    expected: bool
    why: str

    @property
    def line(self) -> str:
        return f"{NEXT if self.expected else NONE}: {self.why}"

    def as_json(self) -> dict[str, Any]:
        at = None if self.at is None else iso(self.at)
        return {"at": at, "expected": self.expected, "why": self.why}


def next_refill_line(
    store: Store, config: Config, panel: str, order_id: int, now: datetime, screen: Screen | None
) -> str | None:
    """Given an order and the moment, return the line saying when its next
    automatic refill request will be, or why none will; None for an order
    the refills are not about (its status not in ``refill.statuses`` and no
    request of it: an order still running, a canceled one)."""
    upcoming = next_refill(store, config, panel, order_id, now, screen)
    return None if upcoming is None else upcoming.line


def next_refill(
    store: Store, config: Config, panel: str, order_id: int, now: datetime, screen: Screen | None
) -> Upcoming | None:
    """:func:`next_refill_line`'s answer before it is a line (`history ID
    --json` gives it so)."""
    row = order_of(store, panel, order_id)
    if row is None:
        return None
    history = requests_of(store, panel, [order_id])[order_id]
    refill = config.refill
    if row["status"] not in refill.statuses and not history:
        return None
    if panel not in {p.name for p in config.panels}:
        return Upcoming(
            None, False, f"panel {panel} is not in the config (no refill round runs for it)"
        )
    url = config.panel(panel).url
    followed = not is_unsupported(store, panel, "refill_status", url)  # as the round reads it
    past = [past_request(r, followed=followed) for r in history]
    refused = refused_last(history, screen)
    anyway = _asks_anyway(order_id, past, refill, now, refused)
    if refill.enabled and is_unsupported(store, panel, "refill", url):
        return Upcoming(None, False, f"{panel} does not support refill, as learned ({anyway})")
    facts = order_facts(row)
    probed = last_probed(store, panel, [order_id]).get(order_id)
    found = next_request(facts, past, refill, now, probed)
    if found.at is None and found.then == rule.OPEN_REFILL:
        ends = "once its open refill ends (followed each refill round)"
        return Upcoming(None, True, ends + _unanswered(store, panel, screen))
    if found.at is None:
        why = _never(found.reason, found.then, facts, refill, screen, refused)
        if why == rule.UNKNOWN_SERVICE:  # the step that makes it known
            why += _how_known(store, panel, order_id, len(config.panels) > 1)
        return Upcoming(None, False, f"{why} ({anyway})" if found.reason == rule.NO_REFILL else why)
    at = found.at
    cooled = _refusal(found.reason, refused)  # counted from a refusal too
    rounds = f"the refill rounds run every {format_duration(config.schedule.refill_every)}"
    when = (
        f"at the next refill round ({rounds})"
        if at <= now
        else f"from {moment(iso(at), screen)} ({_waits(found.reason)}{cooled}),"
        f" at the first refill round after ({rounds})"
    )
    judged = _judged(store, panel, order_id, refill, screen)
    return Upcoming(at, True, f"{when}{judged}{_unanswered(store, panel, screen)}")


def _how_known(store: Store, panel: str, order_id: int, several: bool) -> str:
    """How an order whose service's refill flag is unknown gets one: its
    service recorded (an order tracked without --service), or the panel's
    services synced with it among them."""
    key = [panel, order_id]
    service = store.rows("SELECT service FROM orders WHERE panel = ? AND order_id = ?", key)
    if not service or service[0]["service"] is None:
        flag = f"--panel {shlex.quote(panel)} " if several else ""
        return f": smm-tracker track {flag}{order_id} --service N --update records it"
    return (
        f": service {service[0]['service']} is not among {panel}'s services as last synced"
        " (smm-tracker services --refresh updates them)"
    )


def _unanswered(store: Store, panel: str, screen: Screen | None) -> str:
    """What keeps the rounds from asking anything of the panel now: its key
    refused (the daemon pauses it), every call failing; "" when neither."""
    down = not_answering(store, panel).get(panel)
    if not down:
        return ""
    kind = "auth_failed" if "auth_failed" in down else "panel_unreachable"
    said, _ = not_answering_said(kind, down[kind], down, lambda stamp: moment(stamp, screen))
    why = "smm-tracker doctor says why"
    return f"; but {said}: no refill request gets through until that ends ({why})"


def refused_last(history: list[dict[str, Any]], screen: Screen | None) -> str:
    """Given an order's refill requests, the words saying its last one was
    refused, with the panel's words cut short ("" when it was not): the cooldown
    counts from any answer, a refusal too ("Order not eligible" may not be
    the panel's last word), as the automation's does. `refill ID` held back
    and `history ID`'s line say it so."""
    if not history:
        return ""
    last = max(history, key=lambda row: (parse_iso(row["requested_at"]), row["id"]))
    if last["status"] != REFUSED:
        return ""
    words = f": {safe_text(last['error'], PANEL_WORDS)}" if last["error"] else ""
    return f"the panel refused it {moment(last['requested_at'], screen)}{words}"


def _asks_anyway(
    order_id: int, past: list[PastRequest], refill: RefillConfig, now: datetime, refused: str
) -> str:
    """The command that asks the panel anyway, as `refill ID` takes it at
    ``now``: with --force inside refill.cooldown of its last request or
    while a refill of it is open (its own rule, manual_blocker), where the
    plain command sends nothing; said with its last request refused, as
    `refill ID` says it."""
    blocker = manual_blocker(past, refill.cooldown, now)
    if blocker is None:
        return f"smm-tracker refill {order_id} asks anyway"
    said = f" ({refused})" if refused else ""
    return f"{blocker}{said}: smm-tracker refill {order_id} --force asks anyway"


# The reasons only time ends: the rule asked again later may say something else.
_TIMED = (rule.COOLDOWN, rule.TOO_EARLY, rule.OPEN_REFILL, rule.UNFOLLOWED, rule.PROBED)


def _refusal(reason: str, refused: str) -> str:
    """Said after :func:`_waits`' cooldown: that the last request, which it
    counts from, was refused (``refused``: :func:`refused_last`'s words)."""
    return f"; {refused}" if refused and reason == rule.COOLDOWN else ""


def _waits(reason: str) -> str:
    """What the order waits for until the moment said."""
    return {
        rule.PROBED: "refill.probe_every since its count was last measured",
        rule.COOLDOWN: "refill.cooldown since its last request",
        rule.TOO_EARLY: "refill.first_check after it completed",
        rule.OPEN_REFILL: "refill.cooldown since its open refill, in words the tracker"
        " does not know, was requested",
        rule.UNFOLLOWED: "refill.cooldown since its open refill was requested: the panel"
        " has no refill_status, so it is never followed",
    }.get(reason, reason)


def _judged(
    store: Store, panel: str, order_id: int, refill: RefillConfig, screen: Screen | None
) -> str:
    """Who judges whether it dropped: the panel, or the probe (its last count)."""
    if refill.detect != "command":
        return "; the panel judges whether it dropped"
    runs = [p for p in probes_of(store, panel, order_id) if p["count"] is not None]
    if not runs:
        return "; sent if refill.command finds its count dropped"
    last = runs[-1]
    seen = "a drop" if last["dropped"] else "no drop"
    return (
        f"; sent if refill.command finds its count dropped (last measured"
        f" {moment(last['probed_at'], screen)}: {last['count']}, {seen})"
    )


def _never(
    reason: str,
    then: str,
    order: OrderFacts,
    refill: RefillConfig,
    screen: Screen | None,
    refused: str = "",
) -> str:
    """Why the rule gives no request: now, or by the time it would
    (``refused``: :func:`refused_last`'s words)."""
    ends = rule.guarantee_ends(order, refill)
    until = f"its guarantee ({rule.window(order, refill).said()})"
    if then == rule.PAST_WINDOW and reason in _TIMED and ends is not None:
        cooled = _refusal(reason, refused)  # counted from a refusal too, as above
        return f"{until} ends {moment(iso(ends), screen)}, before {_waits(reason)} does{cooled}"
    if reason in _TIMED and then and then not in _TIMED:
        reason = then  # what holds it back once the wait is over: for good
    if reason == rule.PAST_WINDOW and ends is not None:
        return f"{until} ended {moment(iso(ends), screen)}"
    if reason == rule.NOT_DONE:
        listed = ", ".join(refill.statuses)
        return f"its status {order.status} is not in refill.statuses ({listed})"
    if reason == rule.MAX_REQUESTS:
        return (
            f"refill.max_requests ({refill.max_requests}) reached: as many refills of it"
            " were accepted, or may have been"
        )
    if reason == rule.PERMANENT_REFUSAL:
        return (
            f"{reason}, and no refill of it taken since"
            f" (smm-tracker refill {order.order_id} --force asks again)"
        )
    return reason

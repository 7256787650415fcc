"""``add --idempotency-key KEY``: an add a script runs again sends nothing.

Before sending, the key is claimed (:mod:`tracker.store.idempotency`). An
earlier add under it ends this one at once: the order it placed is printed
(exit 0, as the first time), its outcome unknown is said (exit 1: check the
panel), a different order under the same key is refused (exit 2).

An outcome unknown is settled by the user, who checked the panel: ``track
--idempotency-key KEY ID`` (placed, as that order), ``add ... --not-placed``
(nothing placed: this add is sent under the key as a first one).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from shlex import quote
from typing import Any, NoReturn

import click

from tracker.cli.main import EXIT_FAILED, EXIT_USAGE, fail
from tracker.cli.output import print_placed
from tracker.cli.render import safe_text
from tracker.clock import iso, parse_iso, utcnow
from tracker.errors import StoreError, outcome_cause
from tracker.store import idempotency
from tracker.store.orders import Store
from tracker.store.tracking import DETAILS

LONGEST_KEY = 200
# Seconds an add may take past its call (timeout and retry_budget): tracking the
# order and settling its key, each of which may wait for the write lock.
SETTLING = 60.0
# An add's key settled by tracker.cli.add when the panel placed the order but
# storing it failed: the order ID is known, its key left Unknown until tracked.
UNRECORDED = re.compile(r"the panel placed order (\d+), not recorded: (.*)\Z", re.S)


def unrecorded(order_id: int, cause: object) -> str:
    """Return the error stored under a key whose order ``order_id`` the panel
    placed but the tracker could not record (``cause``)."""
    return f"the panel placed order {order_id}, not recorded: {cause}"


def check_key(key: str | None) -> None:
    """Exit 2 for a key no script means: blank, a control character, too long."""
    if key is None:
        return
    if not key.strip() or not key.isprintable() or len(key) > LONGEST_KEY:
        fail(
            f"--idempotency-key must be 1 to {LONGEST_KEY} printable characters, "
            "not blank (nothing sent)",
            EXIT_USAGE,
        )


def claim_or_end(
    store: Store,
    panel: str,
    key: str,
    request: dict[str, Any],
    *,
    not_placed: bool = False,
    longest: float = 0.0,
) -> idempotency.Claim:
    """Claim ``key`` for this add and return the claim (what its answer
    settles), or end the command on the add made under it before: its order
    printed as a placed one is, or why nothing is sent.
    ``not_placed``: the user found on the panel that the earlier add placed
    nothing; an outcome unknown is released and this add sent as a first,
    unless its add began less than ``longest`` seconds ago (still sending?)."""
    shown = safe_text(repr(key))
    asked = idempotency.request_text(request)
    now = utcnow()
    mine = idempotency.Claim.made(panel, key, now)
    try:
        if not_placed:
            earlier, claimed = idempotency.reclaim(store, panel, key, asked, now, longest)
        else:
            earlier, claimed = idempotency.claim(store, panel, key, asked, now), False
    except StoreError as exc:
        fail(f"{exc}; nothing sent")
    if earlier is None:
        if not_placed:  # a fresh key: nothing to release, sent as any first add
            _note(f"note: idempotency key {shown} was not used: sent as a first add")
        return mine
    if earlier.request != asked:
        fail(
            f"idempotency key {shown} was used for another order at {earlier.at} "
            f"(asked: {safe_text(earlier.request)}); nothing sent",
            EXIT_USAGE,
        )
    why = safe_text(outcome_cause(earlier.error or "interrupted before its answer was stored"))
    if claimed:
        _note(
            f"note: idempotency key {shown}: the add at ",
            earlier.at,
            f", outcome unknown ({why}), released as not placed, as you said; sending this one",
        )
        return mine
    if earlier.status == idempotency.PLACED and earlier.order_id is not None:
        if not_placed:
            fail(
                f"--not-placed: idempotency key {shown} placed order {earlier.order_id} at "
                f"{earlier.at}; nothing sent",
                EXIT_USAGE,
            )
        _note(
            f"note: already placed under idempotency key {shown} at ",
            earlier.at,
            f": order {earlier.order_id}; nothing sent",
        )
        print_placed(earlier.order_id)
        raise SystemExit(0)
    if idempotency.may_be_sending(earlier, now, longest):  # not "interrupted": running
        if not_placed:
            _wait_for_it("--not-placed", shown, earlier, longest, "nothing sent")
        _wait_for_it("add", shown, earlier, longest, "nothing sent", "run this add again")
    again = f"smm-tracker track --panel {quote(panel)} --idempotency-key {quote(key)}"
    placed = UNRECORDED.match(earlier.error or "")
    if placed:  # the panel's answer came; storing the order failed
        fail(
            f"an add under idempotency key {shown} at {earlier.at} placed order "
            f"{placed[1]}, not recorded ({safe_text(placed[2])}); nothing sent. "
            f"Track it: `{safe_text(again)} {placed[1]}`",
            EXIT_FAILED,
        )
    fail(
        f"an add under idempotency key {shown} at {earlier.at}: its outcome is unknown "
        f"({why}); nothing sent. Check the panel: placed, `{safe_text(again)} ID`; "
        "not placed, run this add again with --not-placed",
        EXIT_FAILED,
    )


def _note(head: str, at: str | None = None, tail: str = "") -> None:
    """Say ``head``, the stored moment ``at`` and ``tail`` on stderr; on a
    terminal the moment short ("08:23 UTC") and the line wrapped at its
    words, as the other notes; piped, one line, the moment as stored."""
    from tracker.cli.screen import fitted, moment, stderr_screen

    screen = stderr_screen()
    said = head + (moment(at, screen) if at is not None else "") + tail
    click.echo(fitted(said, screen), err=True)


def _wait_for_it(
    flag: str,
    shown: str,
    earlier: idempotency.Keyed,
    longest: float,
    done: str,
    then: str = "check the panel again",
) -> NoReturn:
    """End the command (exit 1): the add under the key may still be sending."""
    ended = iso(parse_iso(earlier.at) + timedelta(seconds=longest))
    fail(
        f"{flag}: the add under idempotency key {shown} began at {earlier.at} and "
        f"may still be waiting for its answer (an add may take {longest:.0f} s); {done}: "
        f"{then} after {ended}"
    )


def add_longest(timeout: float, retry_budget: float) -> float:
    """Return the seconds an add may run on a panel of this ``timeout`` and
    ``retry_budget``: its call, then tracking the order and settling its key."""
    return timeout + retry_budget + SETTLING


def settle_by_track(
    store: Store, panel: str, key: str, order_ids: list[int], longest: float
) -> idempotency.Keyed:
    """``track --idempotency-key``: before tracking, end the command (exit 2,
    nothing done) unless ``key`` is an add on ``panel`` whose outcome is
    unknown, or that placed this one order; exit 1, nothing done, when that
    add began less than ``longest`` seconds ago and may still be sending (its
    answer would settle the key after this); return that add (what it asked:
    the details to fill in, :func:`asked_details`)."""
    shown = safe_text(repr(key))
    if len(set(order_ids)) != 1:
        fail(
            f"--idempotency-key takes one order ID, not {len(set(order_ids))}; nothing tracked",
            EXIT_USAGE,
        )
    earlier = idempotency.find(store, panel, key)
    if earlier is None:
        elsewhere = [safe_text(p) for p in idempotency.panels_with(store, key) if p != panel]
        where = f" (it has on {', '.join(elsewhere)}: --panel NAME)" if elsewhere else ""
        fail(f"idempotency key {shown} names no add on {panel}{where}; nothing tracked", EXIT_USAGE)
    if earlier.status == idempotency.PLACED and earlier.order_id != order_ids[0]:
        fail(
            f"idempotency key {shown} placed order {earlier.order_id} at {earlier.at}, "
            f"not {order_ids[0]}; nothing tracked",
            EXIT_USAGE,
        )
    if idempotency.may_be_sending(earlier, utcnow(), longest):
        _wait_for_it("--idempotency-key", shown, earlier, longest, "nothing tracked")
    return earlier


def asked_details(request: str) -> dict[str, Any]:
    """Given an add's request as stored, return the details ``track`` records."""
    from tracker.panel.order_fields import counted_quantity

    try:
        asked = json.loads(request)
    except ValueError:  # a row edited by hand: nothing to fill in
        return {}
    if not isinstance(asked, dict):
        return {}
    extra = {k: str(v) for k, v in asked.items() if k not in DETAILS and v is not None}
    details = {k: asked.get(k) for k in DETAILS}
    return {**details, "quantity": counted_quantity(asked.get("quantity"), extra)}


def settle_tracked(store: Store, panel: str, key: str, order_id: int, seen: str) -> str:
    """Settle ``key`` as placed with ``order_id``, just tracked, if it is still
    the add begun at ``seen`` that :func:`settle_by_track` checked; return the
    line that says so (its outcome set meanwhile by another: exit 1)."""
    shown = safe_text(repr(key))
    earlier = idempotency.settle_tracked(store, panel, key, order_id, utcnow(), seen)
    if earlier is not None and earlier.status in idempotency.OPEN and earlier.at == seen:
        return f"idempotency key {shown} settled: placed as order {order_id}"
    if earlier is not None and earlier.order_id == order_id:
        return f"idempotency key {shown} was settled already: order {order_id}"
    if earlier is not None and earlier.status in idempotency.OPEN:  # --not-placed since
        fail(
            f"order {order_id} is tracked; idempotency key {shown} not settled: another add "
            f"claimed it at {earlier.at}, after the one begun at {seen} (--not-placed)"
        )
    placed = f"order {earlier.order_id}" if earlier is not None else "no add: it is gone"
    fail(f"order {order_id} is tracked; idempotency key {shown} not settled: it names {placed}")

"""``add --idempotency-key KEY``: an add a script runs again sends nothing.

Before sending, the key is claimed (:mod:`tracker.store.idempotency`). An
earlier add under it ends this one at once: the order it placed is printed
(exit 0, as the first time), its outcome unknown is said (exit 1: check the
panel), a different order under the same key is refused (exit 2).
"""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.main import EXIT_FAILED, EXIT_USAGE, fail
from tracker.cli.output import print_placed
from tracker.cli.render import safe_text
from tracker.clock import utcnow
from tracker.errors import StoreError, outcome_cause
from tracker.store import idempotency
from tracker.store.orders import Store

LONGEST_KEY = 200


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
) -> None:
    """Claim ``key`` for this add, or end the command on the add made under
    it before: its order printed as a placed one is, or why nothing is sent."""
    shown = safe_text(repr(key))
    try:
        earlier = idempotency.claim(store, panel, key, idempotency.request_text(request), utcnow())
    except StoreError as exc:
        fail(f"{exc}; nothing sent")
    if earlier is None:
        return
    if earlier.request != idempotency.request_text(request):
        fail(
            f"idempotency key {shown} was used for another order at {earlier.at} "
            f"(asked: {safe_text(earlier.request)}); nothing sent",
            EXIT_USAGE,
        )
    if earlier.status == idempotency.PLACED and earlier.order_id is not None:
        click.echo(
            f"note: already placed under idempotency key {shown} at {earlier.at}: "
            f"order {earlier.order_id}; nothing sent",
            err=True,
        )
        print_placed(earlier.order_id)
        raise SystemExit(0)
    why = safe_text(outcome_cause(earlier.error or "interrupted before its answer was stored"))
    fail(
        f"an add under idempotency key {shown} at {earlier.at}: its outcome is unknown "
        f"({why}); check the panel, then `smm-tracker track --panel {panel} ID` the "
        "order if it was placed; nothing sent",
        EXIT_FAILED,
    )


def settle_quietly(store: Store, panel: str, key: str | None, **outcome: Any) -> None:
    """Store how a claimed add ended (:func:`tracker.store.idempotency.settle`);
    a failure to is said, never the command's: its row stays Sending, which
    the next add under the key reads as unknown (the safe side)."""
    if key is None:
        return
    try:
        idempotency.settle(store, panel, key, utcnow(), **outcome)
    except StoreError as exc:
        click.echo(f"smm-tracker: idempotency key not settled: {exc}", err=True)


def release_quietly(store: Store, panel: str, key: str | None) -> None:
    """Give ``key`` back after a refusal; a failure to leaves it Sending (unknown)."""
    if key is None:
        return
    try:
        idempotency.release(store, panel, key)
    except StoreError as exc:
        click.echo(f"smm-tracker: idempotency key not released: {exc}", err=True)

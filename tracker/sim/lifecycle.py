"""A simulated order's seeded, lazily computed lifecycle.

Part of :mod:`tracker.sim.orders`: an order's path through the statuses, its
timing and its counts are derived from (seed, order ID, created_at, stage
length) whenever it is looked at, by a stable hash (:func:`mix`) rather than
stored; or it is pinned at a status (:data:`PINNABLE`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.panel.statuses import (
    CANCELED,
    COMPLETED,
    IN_PROGRESS,
    PARTIAL,
    PENDING,
    PROCESSING,
)

_MASK = (1 << 64) - 1
# Statuses an order can be pinned at by seed_orders(status=...); index + 1 is
# the code stored in the pin array (0 = follow the seeded path).
PINNABLE = (PENDING, PROCESSING, IN_PROGRESS, COMPLETED, PARTIAL, CANCELED)


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def mix(seed: int, value: int) -> int:
    """Return a well-spread 64-bit hash of (seed, value).

    Cheaper than a ``random.Random`` per order and stable across runs, which
    is what makes lazily derived order paths possible.
    """
    return _splitmix(_splitmix(seed & _MASK) ^ (value & _MASK))


@dataclass(frozen=True, slots=True)
class Path:
    """What will happen to one order, fixed at creation by the seed."""

    outcome: str  # Completed, Partial or Canceled
    processing: bool  # passes through Processing before In progress
    stage: float  # seconds per stage for this order
    final_remains: int  # > 0 for Partial, -2 for an over-delivery, else 0
    start_count: int
    variant: int  # 0-255: picks stable spellings for this order

    @property
    def delivery_start(self) -> float:
        return self.stage * (2 if self.processing else 1)

    @property
    def finish(self) -> float:
        if self.outcome == CANCELED:
            return self.stage  # canceled while still pending
        return self.delivery_start + 2 * self.stage


def make_path(h: int, quantity: int, stage: float, quirks: bool) -> Path:
    """Given an order's hash, return its path: ~85 % Completed, 10 % Partial, 5 % Canceled."""
    roll = (h & 0xFFFF) / 0x10000
    outcome = CANCELED if roll < 0.05 else PARTIAL if roll < 0.15 else COMPLETED
    final_remains = 0
    if outcome == PARTIAL:
        final_remains = max(1, quantity * (10 + (h >> 24) % 51) // 100)
    elif outcome == COMPLETED and quirks and (h >> 17) % 32 == 0:
        final_remains = -2  # over-delivery; panels show it as "+2"
    return Path(
        outcome=outcome,
        processing=bool((h >> 16) & 1),
        stage=stage * (0.75 + ((h >> 56) & 0xFF) / 512),
        final_remains=final_remains,
        start_count=100 + (h >> 32) % 50_000,
        variant=(h >> 48) & 0xFF,
    )


def natural_progress(
    path: Path, quantity: int, created: float, now: float
) -> tuple[str, int, float | None]:
    """Return (status, delivered, finished_at) of an order following its path."""
    elapsed = now - created
    if elapsed < path.stage:
        return PENDING, 0, None
    if path.outcome == CANCELED:
        return CANCELED, 0, created + path.finish
    if elapsed < path.delivery_start:
        return PROCESSING, 0, None
    target = quantity - path.final_remains
    if elapsed < path.finish:
        share = (elapsed - path.delivery_start) / (path.finish - path.delivery_start)
        return IN_PROGRESS, min(quantity, int(target * share)), None
    return path.outcome, target, created + path.finish


def pinned_progress(
    status: str, path: Path, quantity: int, created: float
) -> tuple[str, int, float | None]:
    """Return (status, delivered, finished_at) of an order pinned at ``status``."""
    if status == IN_PROGRESS:
        return status, quantity // 2, None
    if status == COMPLETED:
        return status, quantity, created
    if status == PARTIAL:
        remains = path.final_remains if path.final_remains > 0 else max(1, quantity // 2)
        return status, quantity - remains, created
    return status, 0, created if status == CANCELED else None

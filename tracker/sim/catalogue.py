"""The simulated panel's services catalogue, spelled the way real panels spell it.

Part of :mod:`tracker.sim.server`. Flags and numbers are deliberately written in
every form panels use (``true``, ``1``, ``"1"``, ``"0"``, missing; rates as
strings and as floats), so a client that only copes with one form breaks here
first rather than against a real panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tracker.rules.guarantees import DAYS, LIFETIME, named_guarantee

SERVICE_FOLLOWERS = 1  # refill, cancel
SERVICE_LIKES = 2  # no refill
SERVICE_VIEWS = 3  # drip-feed, refill, cancel
SERVICE_TIKTOK = 4  # refill, no cancel
SERVICE_TELEGRAM = 5  # refill, tiny float rate
SERVICE_COMMENTS = 6  # Custom Comments, flags missing

SERVICES: tuple[dict[str, Any], ...] = (
    {
        "service": SERVICE_FOLLOWERS,
        "name": "Instagram Followers | Refill 30 days",
        "type": "Default",
        "category": "Instagram Followers",
        "rate": "0.90",
        "min": "100",
        "max": "100000",
        "refill": True,
        "cancel": True,
    },
    {
        "service": SERVICE_LIKES,
        "name": "Instagram Likes | No refill",
        "type": "Default",
        "category": "Instagram Likes",
        "rate": 0.27819,
        "min": 10,
        "max": 50000,
        "refill": "0",
    },
    {
        "service": SERVICE_VIEWS,
        "name": "YouTube Views | Drip-feed",
        "type": "Default",
        "category": "YouTube",
        "rate": "1.2",
        "min": "500",
        "max": "1000000",
        "refill": 1,
        "cancel": "1",
        "dripfeed": True,
    },
    {
        "service": SERVICE_TIKTOK,
        "name": "TikTok Followers | Refill",
        "type": "Default",
        "category": "TikTok",
        "rate": "2.5",
        "min": "50",
        "max": "20000",
        "desc": "Start 0-1 h, speed 5k/day",
        "refill": "1",
        "cancel": "0",
    },
    {
        "service": SERVICE_TELEGRAM,
        "name": "Telegram Members | Refill",
        "type": "Default",
        "category": "Telegram",
        "rate": 0.08011655652,
        "min": 100,
        "max": 200000,
        "refill": 1,
        "cancel": 0,
        "dripfeed": False,
    },
    {
        "service": SERVICE_COMMENTS,
        "name": "Instagram Custom Comments",
        "type": "Custom Comments",
        "category": "Instagram Comments",
        "rate": "15",
        "min": "5",
        "max": "1000",
    },
)


@dataclass(frozen=True, slots=True)
class SimService:
    """One catalogue entry as the simulator itself uses it (clean types)."""

    id: int
    type: str
    rate: Decimal
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool
    # The days of refill its name (or category) guarantees, as a real panel
    # sells it: "Refill 30 days" 30, "[R90]" 90, "Lifetime Refill" no end
    # (math.inf); None when it says none ("Refill", "No refill"): the
    # panel's own window then (RefillRules.window).
    guarantee_days: float | None = None


def _guarantee_days(entry: dict[str, Any]) -> float | None:
    said = named_guarantee(str(entry.get("name") or ""), str(entry.get("category") or ""))
    if said is None or said.kind not in (DAYS, LIFETIME):
        return None
    return math.inf if said.kind == LIFETIME else float(said.days)


def _flag(value: object) -> bool:
    return value is True or value == 1 or value == "1"


def parse_catalogue(entries: tuple[dict[str, Any], ...] = SERVICES) -> dict[int, SimService]:
    """Given catalogue entries as answered, return them by service ID with clean types."""
    return {
        int(entry["service"]): SimService(
            id=int(entry["service"]),
            type=str(entry.get("type", "Default")),
            # str() first: Decimal(0.27819) would carry the float's binary error.
            rate=Decimal(str(entry["rate"])),
            min=int(entry["min"]),
            max=int(entry["max"]),
            refill=_flag(entry.get("refill")),
            cancel=_flag(entry.get("cancel")),
            dripfeed=_flag(entry.get("dripfeed")),
            guarantee_days=_guarantee_days(entry),
        )
        for entry in entries
    }

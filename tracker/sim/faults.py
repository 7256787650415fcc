"""Fault injection for the simulated panel: what proxies and bad days look like.

Part of :mod:`tracker.sim.server`. Faults are split by whether the panel acted
before things went wrong, because that is what a client must reason about
when it decides whether a non-idempotent request (add, refill) may be resent.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, NamedTuple

# Never reach the panel: answered by the "proxy" in front of it.
BEFORE = frozenset({"html502", "json500", "429", "challenge", "reset"})
# The panel acts, then the answer is damaged, late or lost.
AFTER = frozenset({"truncated", "slow", "lost", "lost502", "lostreset"})
KINDS = BEFORE | AFTER
# A broken panel's own odd answers, injected on request only (not in KINDS, so
# suites that try every fault kind keep their meaning): "empty" answers `{}`.
ODD = frozenset({"empty"})

JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=UTF-8"}

GATEWAY_PAGE = b"""<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>cloudflare</center>
</body>
</html>
"""

CHALLENGE_PAGE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper"><h1>Checking your browser before accessing the panel.</h1>
<noscript>Enable JavaScript and cookies to continue</noscript></div></body></html>
"""


class Reply(NamedTuple):
    """What the HTTP layer should do: answer, maybe after ``delay``, or reset."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0
    reset: bool = False  # close the connection without answering


def json_reply(status: int, obj: object, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(obj, separators=(",", ":")).encode()
    return Reply(status, {**JSON, **(headers or {})}, body)


@dataclass
class FaultPlan:
    """Random faults: each request fails with ``probability``, the kind picked from ``kinds``.

    ``actions`` limits them to those API actions (None: every action).
    """

    probability: float = 0.0
    kinds: tuple[str, ...] = ()
    actions: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self.kinds = tuple(self.kinds)
        check_kinds(self.kinds)
        if self.actions is not None:
            self.actions = tuple(self.actions)
        if self.probability and not self.kinds:
            raise ValueError("a fault probability needs at least one kind")

    def applies(self, action: str) -> bool:
        return bool(self.probability) and (self.actions is None or action in self.actions)


def check_kinds(kinds: tuple[str, ...]) -> None:
    unknown = sorted(set(kinds) - KINDS - ODD)
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; known: {sorted(KINDS)}")


def before_reply(kind: str, *, retry_after: int = 1) -> Reply:
    """Return the answer of a fault that happens before the panel acts; a
    "429" asks for ``retry_after`` seconds (its Retry-After and reset)."""
    if kind == "html502":
        return Reply(502, dict(HTML), GATEWAY_PAGE)
    if kind == "json500":
        # JSON with an "error" key on a 500: a client must look at the status first.
        return json_reply(500, {"error": "Internal Server Error"})
    if kind == "429":  # a proxy's or the panel's limit: spent, open again in retry_after s
        limits = {"X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "0"}
        limits.update({"X-RateLimit-Reset": str(retry_after), "Retry-After": str(retry_after)})
        return json_reply(429, {"error": "Too many requests"}, limits)
    if kind == "challenge":
        return Reply(200, {**HTML, "cf-mitigated": "challenge"}, CHALLENGE_PAGE)
    if kind == "reset":
        return Reply(0, {}, b"", reset=True)
    if kind == "empty":  # a broken panel's `{}`: it names none of the asked IDs
        return json_reply(200, {})
    raise ValueError(kind)


def after_reply(kind: str, reply: Reply, *, slow_seconds: float, coin: float) -> Reply:
    """Return ``reply`` damaged by a fault that happens after the panel acted.

    ``coin`` (0-1, seeded by the caller) decides how a plain "lost" answer is lost.
    """
    if kind == "truncated":
        return reply._replace(body=reply.body[: len(reply.body) // 2])
    if kind == "slow":
        return reply._replace(delay=slow_seconds)
    if kind == "lost502" or (kind == "lost" and coin < 0.5):
        return Reply(502, dict(HTML), GATEWAY_PAGE)
    if kind in ("lostreset", "lost"):
        return Reply(0, {}, b"", reset=True)
    raise ValueError(kind)


class FaultInjector:
    """Decides which requests fail: an explicit queue first, then the random plan."""

    def __init__(self, seed: int, plan: FaultPlan | None = None):
        self.plan = plan or FaultPlan()
        # Its own generator: turning faults on must not shift the answer shapes.
        self._rng = random.Random(seed ^ 0xFA17)
        self._queue: list[list[Any]] = []  # [kind, action or None, remaining]

    def inject(self, kind: str, count: int = 1, action: str | None = None) -> None:
        check_kinds((kind,))
        self._queue.append([kind, action, count])

    def clear(self) -> None:
        self._queue.clear()
        self.plan = FaultPlan()

    def next(self, action: str) -> str | None:
        """Return the fault for this request of ``action``, or None."""
        for entry in self._queue:
            kind, only, _ = entry
            if only is None or only == action:
                entry[2] -= 1
                if entry[2] <= 0:
                    self._queue.remove(entry)
                return str(kind)
        if self.plan.applies(action) and self._rng.random() < self.plan.probability:
            return self._rng.choice(self.plan.kinds)
        return None

    def coin(self) -> float:
        return self._rng.random()

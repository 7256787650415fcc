"""A hostile panel for the fuzz soak (tests/soak_fuzz.py): a simulated panel
whose every answer is, at random, passed on, bent, or replaced.

Each call's fate is drawn from ``random.Random`` seeded by the soak's seed,
the round, the action, the IDs asked and how many times that same call came
in the round: the same seed makes the same decisions, whatever order the
tracker's threads send their calls in. What each call came to is logged
(:class:`Call`), so the invariants can tell an answer that said something
about an order (``readable``) from a failure of the whole call.
"""

from __future__ import annotations

import gzip
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from fuzzing import NOTICES, Fuzzer, Obj, Raw, key_forms, write
from hostile import HostileServer, Reply, drip
from soak_shapes import SHAPES, shaped

from tracker.sim.server import SimulatedPanel

ASKED = {"status": ("orders", "order"), "refill": ("orders", "order"), "cancel": ("orders",)}
# The free words of a panel refusing the whole call (busy, broken, its key).
BUSY = [
    "Service temporarily unavailable, please try again later",
    "Too many requests",
    "Server is under maintenance",
    "Database connection failed",
    "Please try later",
]
KEY_WORDS = ["Invalid API key", "Your account is inactive"]
MISSING = ["Incorrect request", "Unknown action", "Action not found"]
# Web frameworks' JSON for an error page: (code, body).
FRAMEWORK = [
    (500, {"message": "Server Error"}),
    (404, {"message": "Not Found"}),
    (405, {"detail": "Method Not Allowed"}),
    (503, {"message": "Service Unavailable"}),
    (422, {"type": "about:blank", "title": "Unprocessable Entity", "status": 422}),
    (400, {"detail": "Bad Request"}),
    (502, {"error": "Bad Gateway"}),
    (429, {"message": "Too Many Attempts."}),
]
# Modes and their weights: (name, weight, the panel acts, the answer may speak of orders).
MODES = [
    ("honest", 34, True, True),
    ("bent", 18, True, True),
    ("wrapped", 8, True, True),
    ("gzip", 4, True, True),
    ("slow", 3, True, True),
    ("key_headers", 4, True, True),
    ("whole", 14, False, False),
    ("framework", 5, False, False),
    ("lost", 5, True, False),
    ("drip", 2, False, False),
    ("missing", 2, False, False),
    ("key_refused", 1, False, False),
    *SHAPES,  # the shapes the tracker learnt to read in December 2026
]
SHAPE_NAMES = {shape[0] for shape in SHAPES}
FATE = {name: (acts, speaks) for name, _w, acts, speaks in MODES}


@dataclass
class Call:
    action: str
    ids: list[int]
    mode: str
    readable: bool  # the answer may say something of the orders asked
    acted: bool  # the simulated panel carried the call out
    form: dict[str, str] = field(default_factory=dict)
    at: float = 0.0  # when it came, time.time()
    forced: bool = False  # sent by `refill --force` (set by the soak once it ended)
    code: int = 0  # the simulated panel's HTTP code, had it acted
    done: frozenset[int] = frozenset()  # the orders it gave a refill or canceled


class SoakPanel:
    """Given a seed, a simulated panel and the whole-call deadline the
    tracker is configured with, serve hostile answers on loopback."""

    def __init__(self, seed: int, sim: SimulatedPanel, timeout: float, honesty: int = 34):
        self.seed, self.sim, self.timeout = seed, sim, timeout
        self.weights = [honesty if m[0] == "honest" else m[1] for m in MODES]
        self.round = 0
        self.calls: list[Call] = []
        self.placed: dict[str, list[int]] = {}  # an add's link -> the orders placed for it
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.server = HostileServer(self.respond)

    def new_round(self, number: int) -> None:
        with self._lock:
            self.round, self._seen = number, Counter()

    def calls_since(self, start: int) -> list[Call]:
        with self._lock:
            return self.calls[start:]

    # --- one call -----------------------------------------------------------

    def respond(self, form: dict[str, str]) -> Reply | Any:
        action = form.get("action", "")
        ids = asked_ids(action, form)
        shown = json.dumps({k: v for k, v in sorted(form.items()) if k != "key"})
        with self._lock:
            self._seen[shown] += 1
            r = random.Random(f"{self.seed}:{self.round}:{shown}:{self._seen[shown]}")
        mode = r.choices([m[0] for m in MODES], self.weights)[0]
        acts, speaks = FATE[mode]
        status, headers, body = self.sim.handle(form) if acts else (200, {}, b"")
        if acts and action == "add" and status == 200:
            self._placed(form, body)
        with self._lock:
            readable = speaks and status == 200
            done = did(action, ids, body) if acts and status == 200 else frozenset()
            call = Call(
                action, ids, mode, readable, acts, form, time.time(), code=status, done=done
            )
            self.calls.append(call)
        return self._answer(mode, r, action, ids, status, headers, body)

    def _placed(self, form: dict[str, str], body: bytes) -> None:
        try:
            order = json.loads(body).get("order")
        except (ValueError, AttributeError):
            return
        if order is not None:
            with self._lock:
                self.placed.setdefault(form.get("link", ""), []).append(int(order))

    def _answer(
        self, mode: str, r: random.Random, action: str, ids: list[int], *given: Any
    ) -> Reply | Any:
        status, headers, body = given
        headers = {"Content-Type": "application/json", **headers}
        fz = Fuzzer(r.randrange(2**32))
        if mode == "honest":
            return Reply(body, status, headers)
        if mode in SHAPE_NAMES:
            return shaped(mode, r, action, status, headers, body)
        if mode == "bent":
            data, ctype = fz.body(write(bend(fz, json.loads(body), ids)), bend=False)
            return Reply(data, status, {"Content-Type": ctype or "application/json"})
        if mode == "wrapped":
            data, ctype = fz.body(body.decode(), bend=False)
            return Reply(data, status, {"Content-Type": ctype or "text/html"})
        if mode == "gzip":
            packed = gzip.compress(r.choice(NOTICES).encode() * r.randrange(2) + body)
            return Reply(packed, status, {**headers, "Content-Encoding": "gzip"})
        if mode == "slow":  # the whole answer, dripped well within the deadline
            return dripped(status, body, self.timeout / 3)
        if mode == "key_headers":
            return Reply(body, status, {**headers, **key_headers(r)})
        if mode == "lost":  # the panel acted; its answer never arrives whole
            return r.choice(
                [
                    Reply(body[: r.randrange(max(1, len(body)))], status, headers),
                    Reply(b"<html><title>502 Bad Gateway</title></html>", 502, {}),
                    drip(every=self.timeout / 4),
                ]
            )
        if mode == "drip":
            return drip(every=r.choice([self.timeout / 4, 0.5]), headers_too=r.random() < 0.3)
        if mode == "framework":
            code, doc = r.choice(FRAMEWORK)
            return Reply(json.dumps(doc).encode(), code, {"Content-Type": "application/json"})
        if mode == "missing":
            return Reply(json.dumps({"error": r.choice(MISSING)}).encode(), 200, headers)
        if mode == "key_refused":
            words = r.choice(KEY_WORDS) + r.choice(
                ["", f" ({r.choice(list(key_forms().values()))})"]
            )
            return Reply(json.dumps({"error": words}).encode(), 200, headers)
        return whole_failure(r, fz, action, len(ids) > 1)


def asked_ids(action: str, form: dict[str, str]) -> list[int]:
    """Given a call's form, return the order IDs it asks about."""
    for name in ASKED.get(action, ()):
        if name in form:
            return [int(t) for t in form[name].split(",") if t.strip().isdigit()]
    return []


def did(action: str, ids: list[int], body: bytes) -> frozenset[int]:
    """Given a call and the simulated panel's answer, return the orders it
    gave a refill or canceled (an item of its own, not an error)."""
    try:
        value = json.loads(body)
    except ValueError:
        return frozenset()
    if action not in ("refill", "cancel"):
        return frozenset()
    if isinstance(value, dict):  # one order's: {"refill": 71} or {"error": ...}
        return frozenset(ids) if "error" not in value else frozenset()
    items = [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []
    return frozenset(
        int(i["order"]) for i in items if not isinstance(i.get(action, {}), dict) and "order" in i
    )


def whole_failure(r: random.Random, fz: Fuzzer, action: str = "", multi: bool = False) -> Reply:
    """An answer to no order: a refusal in free words (in the shapes the
    tracker reads as one too), `{}`, `[]`, garbage, a page."""
    pick = r.randrange(9)
    if pick >= 7 and action:
        words = r.choice(BUSY + KEY_WORDS) if pick == 7 else r.choice(MISSING)
        return Reply(write(fz.refusal(action, multi, words)).encode())
    if pick == 0:
        return Reply(json.dumps({"error": r.choice(BUSY)}).encode())
    if pick == 1:
        return Reply(r.choice([b"{}", b"[]", b"", b"null", b'""', b"{}\n{}"]))
    if pick == 2:
        return Reply(fz.garbage(), r.choice([200, 500, 502]), {"Content-Type": "text/html"})
    if pick == 3:
        page = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>back soon</body>"
        return Reply(page, r.choice([200, 503]), {"Content-Type": "text/html"})
    if pick == 4:
        return Reply(r.choice(NOTICES).encode() + b'{"error": "' + r.choice(BUSY).encode() + b'"}')
    if pick == 5:
        data = "\ufeff" + json.dumps({"error": r.choice(BUSY)})
        return Reply(data.encode("utf-16-le"), 200, {"Content-Type": "application/json"})
    return Reply(
        b"Just a moment...", 503, {"Content-Type": "text/html", "cf-mitigated": "challenge"}
    )


def key_headers(r: random.Random) -> dict[str, str]:
    """Headers carrying the key in one of its forms."""
    form = r.choice([v for v in key_forms().values() if v.isascii()])
    name = r.choice(
        [
            "X-Debug-Key",
            "Set-Cookie",
            "WWW-Authenticate",
            "Retry-After",
            "X-RateLimit-Reset",
            "Server",
            "Location",
            "Warning",
        ]
    )
    return {name: r.choice([form, f"key={form}", f"Bearer {form}"])}


def tree_of(value: Any) -> Any:
    """Given decoded JSON, return it as the fuzzer's tree (objects as pairs)."""
    if isinstance(value, dict):
        return Obj((str(k), tree_of(v)) for k, v in value.items())
    if isinstance(value, list):
        return [tree_of(v) for v in value]
    return value


def bend(fz: Fuzzer, value: Any, ids: list[int]) -> Any:
    """Given the panel's decoded answer, return it bent as a hostile panel
    would: odd field values, duplicate keys, items for orders not asked, the
    key echoed, then the fuzzer's own mutations of the tree."""
    r = fz.r
    tree = tree_of(value)
    if isinstance(tree, Obj):
        for _ in range(r.randint(1, 3)):
            if not isinstance(tree, Obj):
                break
            pick = r.randrange(5)
            if pick == 0 and tree:  # a key given twice, the second another value
                k, v = r.choice(tree)
                tree.append((k, fz.value() if r.random() < 0.5 else v))
            elif pick == 1:  # an item for an order not asked
                other = r.choice([max(ids or [1]) + r.randint(1, 50), 1, 10**12])
                tree.append((str(other), fz.order_item(other)))
            elif pick == 2:
                tree.append((r.choice(["note", "debug", "status"]), fz.key_echo()))
            elif pick == 3:
                _bend_fields(fz, tree)
            else:
                tree = fz.mutate(tree)
    elif r.random() < (0.7 if isinstance(tree, list) and tree else 0.5):
        tree = fz.mutate(tree)
    return tree


def _bend_fields(fz: Fuzzer, tree: Obj) -> None:
    """Bend the fields of the answer's items: huge numbers, negative
    remains, unknown statuses, wrong types."""
    r = fz.r
    for node in [tree, *(v for _k, v in tree if isinstance(v, Obj))]:
        for index, (name, _value) in enumerate(node):
            if r.random() > 0.4:
                continue
            if name == "remains":
                new = r.choice([Raw("-99999999999"), "-5", -1, Raw("1e999999999"), "abc", None])
            elif name == "status":
                new = r.choice(["Fail", "Paused", "Refunded", "Completed", "AWAITING", 7, None])
            elif name in ("charge", "balance", "start_count"):
                new = fz.number()
            else:
                new = fz.value()
            node[index] = (name, new)


def dripped(status: int, body: bytes, seconds: float) -> Any:
    """A writer sending the whole answer in ten pieces over ``seconds``."""

    def write_it(handler: BaseHTTPRequestHandler) -> None:
        head = f"HTTP/1.1 {status} OK\r\nContent-Length: {len(body)}\r\n"
        head += "Content-Type: application/json\r\n\r\n"
        step = max(1, len(body) // 10 + 1)
        try:
            handler.wfile.write(head.encode())
            for start in range(0, len(body), step):
                handler.wfile.write(body[start : start + step])
                handler.wfile.flush()
                time.sleep(seconds / 10)
        except OSError:
            pass

    return write_it

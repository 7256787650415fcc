"""The answer shapes the tracker learnt to read (December 2026), as bends of
the fuzz soak's panel (tests/soak_panel.py): each takes the simulated
panel's true answer and writes it the way some real panel does.

- ``coded``: a 4xx multi answer carrying statuses, refill statuses, refill
  IDs or cancels beside an unasked ID's error; a 4xx single status in a
  known word; a 429 (or a Cloudflare challenge) to ``add``, ``refill`` or
  ``cancel`` carrying the order ID, refill ID or the cancel's yes;
- ``twice``: the same JSON document printed twice, glued;
- ``differ``: the answer followed by another document (believed in neither);
- ``error_object``: ``{"error": {"code": ..., "message": ...}}``;
- ``wide``: status words in full-width letters, IDs written ``1001.0``,
  ``"1001.0"`` or ``" 1001"`` (keys, ``order`` fields, drip-feed children);
- ``hints`` / ``hints_flood``: ``103 Early Hints`` before the answer, a few
  (read) or past a hundred (the call fails: the panel acted);
- ``learnt``: the answer in a success envelope (``{"status": "success",
  "data": ...}``), a multi status as a list naming orders by ``id`` or
  ``order_id``, status words in HTML tags or entities (a reason after),
  a trailing comma, JSONP.
"""

from __future__ import annotations

import json
import random
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from hostile import Reply

# (name, weight, the panel acts, the answer may speak of orders)
SHAPES = [
    ("coded", 8, True, True),
    ("twice", 3, True, True),
    ("differ", 3, True, False),
    ("error_object", 2, False, False),
    ("wide", 6, True, True),
    ("hints", 3, True, True),
    ("hints_flood", 1, True, False),
    ("learnt", 6, True, True),
]
WORDS = [
    "Too many requests",
    "Service temporarily unavailable, please try again later",
    "Incorrect request",
    "Unknown action",
    "Server Error",
]
MAX_HINTS_AT_ONCE = 5
HINT = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"


def shaped(
    mode: str, r: random.Random, action: str, status: int, headers: dict[str, str], body: bytes
) -> Reply | Any:
    """Given a mode of :data:`SHAPES` and the simulated panel's answer,
    return that answer written in the mode's shape (as it came, where the
    shape has nothing to bend)."""
    if mode == "error_object":
        code = r.choice([200, 400, 422, 429, 503])
        doc = {"error": {"code": code, "message": r.choice(WORDS)}}
        return Reply(json.dumps(doc).encode(), code, headers)
    if mode in ("hints", "hints_flood"):
        count = r.randint(1, 5) if mode == "hints" else r.randint(150, 400)
        return early_hints(count, status, headers, body)
    if mode == "twice":
        return Reply(body + r.choice([b"", b"\n"]) + body, status, headers)
    if mode == "differ":
        other = json.dumps(r.choice([{"error": r.choice(WORDS)}, {"status": "Canceled"}, {}]))
        return Reply(body + b"\n" + other.encode(), status, headers)
    try:
        value = json.loads(body)
    except ValueError:
        return Reply(body, status, headers)
    if status != 200 or (isinstance(value, dict) and "error" in value):
        return Reply(body, status, headers)
    if mode == "learnt":
        return Reply(learnt(r, action, value).encode(), status, headers)
    if mode == "wide":
        text = json.dumps(widened(r, value, add=action == "add"), ensure_ascii=r.random() < 0.5)
        return Reply(text.encode(), status, headers)
    if action in ("add", "status", "refill", "refill_status", "cancel"):
        return coded(r, action, value, headers)
    return Reply(body, status, headers)


def coded(r: random.Random, action: str, value: Any, headers: dict[str, str]) -> Reply:
    """The true answer with a non-200 code the tracker reads as a 200."""
    if action in ("add", "refill", "cancel") and r.random() < 0.5 and _carries(value):
        if isinstance(value, dict) and r.random() < 0.5:
            value = {**value, "error": "Too many requests"}
        if r.random() < 0.3:  # a Cloudflare challenge around the panel's own JSON
            challenge = {**headers, "cf-mitigated": "challenge"}
            return Reply(json.dumps(value).encode(), 403, challenge)
        return Reply(json.dumps(value).encode(), 429, headers)
    code = r.choice([400, 404, 422])
    if isinstance(value, list) and value:  # multi refill, refill_status, cancel
        name = "refill" if action == "refill_status" else "order"
        what = {"refill": "refill", "refill_status": "status", "cancel": "cancel"}.get(action)
        if what:
            value = [*value, {name: 999999990, what: {"error": "Incorrect order ID"}}]
        return Reply(json.dumps(value).encode(), code, headers)
    if isinstance(value, dict) and "status" in value:  # one order's or refill's, asked alone
        return Reply(json.dumps(value).encode(), code, headers)
    if action == "status" and isinstance(value, dict):
        value = {**value, "999999990": {"error": "Incorrect order ID"}}
        if r.random() < 0.3:  # the list shape
            value = [{"order": k, **v} if isinstance(v, dict) else v for k, v in value.items()]
        return Reply(json.dumps(value).encode(), code, headers)
    return Reply(json.dumps(value).encode(), 200, headers)


def learnt(r: random.Random, action: str, value: Any) -> str:
    """The true answer in a shape learnt in December 2026, as JSON text."""
    value = tagged(r, value)
    if action == "status" and isinstance(value, dict) and r.random() < 0.4:
        name = r.choice(["id", "order_id"])  # a multi status as a list
        items = value.items()
        if all(k.isdigit() and isinstance(v, dict) and "status" in v for k, v in items):
            value = [{name: r.choice([int(k), k]), **v} for k, v in items]
    if action != "services" and r.random() < 0.4:
        beside = r.choice([{"status": "success"}, {"success": True}, {"status": "ok", "code": 200}])
        value = {**beside, r.choice(["data", "result", "response", "payload"]): value}
    text = json.dumps(value)
    if r.random() < 0.3 and text[-1:] in "}]":
        text = text[:-1] + "," + text[-1]
    elif r.random() < 0.3:
        text = f"callback({text});"
    return text


def tagged(r: random.Random, value: Any, key: str = "") -> Any:
    """Status words in HTML tags (a reason after a Canceled or Partial) or
    written through HTML entities (``In&nbsp;progress``)."""
    if isinstance(value, dict):
        return {k: tagged(r, v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [tagged(r, v, key) for v in value]
    if key != "status" or not isinstance(value, str) or r.random() < 0.5:
        return value
    if r.random() < 0.3:
        return value.replace(" ", "&nbsp;")
    reason = ": not enough followers" if value in ("Canceled", "Partial") else ""
    return r.choice(["<b>{}</b>", '<span class="badge">{}</span>']).format(value) + reason


def _carries(value: Any) -> bool:
    if isinstance(value, dict):
        return any(name in value for name in ("order", "refill", "cancel"))
    return isinstance(value, list) and bool(value)


def widened(r: random.Random, value: Any, key: str = "", *, add: bool = False) -> Any:
    """Status words in full-width letters, order IDs written as floats or
    text (an ``add`` answer's as its reading allows: 23501.0, " 23501")."""
    if isinstance(value, dict):
        return {
            (_id(r, k) if k.isdigit() else k): widened(r, v, k, add=add) for k, v in value.items()
        }
    if isinstance(value, list):
        return [widened(r, v, key, add=add) for v in value]
    if key == "status" and isinstance(value, str) and r.random() < 0.7:
        return full_width(value)
    if key in ("order", "orders") and isinstance(value, int | str) and str(value).isdigit():
        forms = [float(value), f" {int(value)}", value]
        return r.choice(forms if add else [*forms, f"{int(value)}.0"])
    return value


def _id(r: random.Random, key: str) -> str:
    return r.choice([f"{key}.0", f" {key}", key])


def full_width(text: str) -> str:
    """ASCII letters as their full-width forms (U+FF01...), a space as U+3000."""
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text
    )


def early_hints(count: int, status: int, headers: dict[str, str], body: bytes) -> Any:
    """A writer sending ``count`` 103 Early Hints, then the answer: a few in
    one write; past a hundred one at a time (read apart, as a script sending
    them without end would be), until the client hangs up."""

    def write_it(handler: BaseHTTPRequestHandler) -> None:
        head = f"HTTP/1.1 {status} OK\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        try:
            if count > MAX_HINTS_AT_ONCE:
                for _ in range(count):
                    handler.wfile.write(HINT)
                    handler.wfile.flush()
                    time.sleep(0.005)
            else:
                handler.wfile.write(HINT * count)
            handler.wfile.write(head.encode() + body)
            handler.wfile.flush()
        except OSError:
            pass

    return write_it

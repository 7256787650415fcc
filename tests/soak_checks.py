"""The invariants the fuzz soak (tests/soak_fuzz.py) checks after each
command and each round; each returns the breaches found, as lines.

- a command: no traceback, an exit code it may end with, one clear line
  when it fails, the key in none of its output;
- the database: the key (any form) in no file and no column of any table;
  each order's transitions one chain; no order stopped without a record
  (stopped_by set, an `order_lost` alert naming it, or the harness's own
  `untrack`); no two orders placed for one idempotency key;
- an order's row changed only by a command whose calls carried an answer
  that could speak of it (never by a failure of the whole call);
- a refill never sent twice for one order inside ``refill.cooldown``, an
  unknown outcome's too, but by `refill --force` (:func:`refill_breaches`);
- the cancels: :mod:`soak_cancels`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fuzzing import KEY, key_forms

from tracker.panel.statuses import TERMINAL

FORMS = sorted({form.lower() for form in key_forms(KEY).values()})
# What an order's row says of its state: a change needs an answer about it.
WATCHED = (
    "status",
    "raw_status",
    "error",
    "error_count",
    "unknown_since",
    "stopped_by",
    "polling",
    "remains",
    "charge",
)


@dataclass
class Ran:
    """One command the soak ran, and what came of it."""

    args: list[str]
    code: int | None  # None: it outlived its bound and was killed
    stdout: str
    stderr: str
    seconds: float
    codes: frozenset[int]  # the exit codes it may end with


def leaked(text: str) -> str | None:
    """Return the first form of the key found in ``text``, else None."""
    lowered = text.lower()
    return next((form for form in FORMS if form in lowered), None)


def command_breaches(ran: Ran) -> list[str]:
    """Given a command run, return what it broke."""
    what = " ".join(ran.args[:3])
    found = []
    if ran.code is None:
        return [f"{what}: still running after {ran.seconds:.0f} s (killed)"]
    if ran.code not in ran.codes:
        found.append(f"{what}: exit {ran.code} (expected one of {sorted(ran.codes)})")
    for name, text in (("stdout", ran.stdout), ("stderr", ran.stderr)):
        if "Traceback (most recent call last)" in text:
            found.append(f"{what}: a traceback on {name}: {_traceback(text)}")
        form = leaked(text)
        if form:
            found.append(f"{what}: the key ({form!r}) on {name}: {_around(text, form)}")
    plain = [line for line in ran.stderr.splitlines() if line and not line.startswith("{")]
    if ran.code == 2 and not any(
        "nothing sent" in line or "nothing tracked" in line for line in plain
    ):
        found.append(f"{what}: exit 2 not saying nothing was sent: {plain[-3:]!r}")
    if ran.args[0] == "doctor":  # its checks on stdout, one line each
        plain = [line for line in ran.stdout.splitlines() if line.startswith("FAIL ")]
    if ran.code == 1 and ran.args[0] != "run" and not plain:
        found.append(f"{what}: exit 1 with no line saying why: {ran.stderr[-300:]!r}")
    return found


def _traceback(text: str) -> str:
    at = text.index("Traceback (most recent call last)")
    return repr(text[at : at + 1500])


def _around(text: str, form: str) -> str:
    at = text.lower().index(form)
    return repr(text[max(0, at - 150) : at + 150])


def database_breaches(
    directory: Path, untracked: set[int], placed: dict[str, list[int]]
) -> list[str]:
    """Given the soak's directory, the orders it untracked and the orders the
    panel placed per add link, return what the database breaks."""
    found = []
    for path in sorted(directory.glob("t.db*")):
        data = path.read_bytes().lower()
        found += [f"the key ({f!r}) in {path.name}" for f in FORMS if f.encode() in data]
    db = sqlite3.connect(directory / "t.db")
    try:
        found += _columns(db) + _chains(db) + _stops(db, untracked)
    finally:
        db.close()
    found += [
        f"{len(ids)} orders placed for one idempotency key (link {link}): {ids}"
        for link, ids in placed.items()
        if len(ids) > 1
    ]
    return found


def _columns(db: sqlite3.Connection) -> list[str]:
    found = []
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - the schema's names
            for value in row:
                form = leaked(value.decode("latin-1") if isinstance(value, bytes) else str(value))
                if form:
                    found.append(f"the key ({form!r}) in table {table}: {str(row)[:300]}")
    return found


def _chains(db: sqlite3.Connection) -> list[str]:
    found, last = [], {}
    rows = db.execute(
        "SELECT panel, order_id, from_status, to_status, id FROM transitions ORDER BY id"
    )
    for panel, order_id, before, after, row_id in rows:
        key = (panel, order_id)
        if key in last and before != last[key]:
            found.append(
                f"order {order_id}: transition {row_id} from {before!r}, was {last[key]!r}"
            )
        last[key] = after
    return found


def _stops(db: sqlite3.Connection, untracked: set[int]) -> list[str]:
    found = []
    told = " ".join(
        m + " " + (d or "")
        for m, d in db.execute("SELECT message, data FROM alerts WHERE kind = 'order_lost'")
    )
    rows = db.execute("SELECT order_id, status, stopped_by FROM orders WHERE polling = 0")
    for order_id, status, stopped_by in rows:
        if status in TERMINAL:
            continue
        if stopped_by == "user" and order_id in untracked:
            continue
        if stopped_by == "panel" and str(order_id) in told:
            continue
        found.append(
            f"order {order_id} ({status!r}) not polled, stopped_by {stopped_by!r}, "
            "no record (order_lost alert naming it, or an untrack)"
        )
    return found


def orders_now(directory: Path) -> dict[int, tuple[Any, ...]]:
    """Return each order's watched columns, by order ID."""
    path = directory / "t.db"
    if not path.exists():
        return {}
    db = sqlite3.connect(path)
    try:
        cols = ", ".join(WATCHED)
        return {r[0]: r[1:] for r in db.execute(f"SELECT order_id, {cols} FROM orders")}  # noqa: S608
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def unanswered_changes(
    before: dict[int, tuple[Any, ...]], after: dict[int, tuple[Any, ...]], spoken: set[int]
) -> list[str]:
    """Given the orders before and after a command and the IDs an answer
    could have spoken of, return the orders changed with no such answer."""
    found = []
    for order_id, was in before.items():
        now = after.get(order_id)
        if now is None or now == was or order_id in spoken:
            continue
        changed = {n: (a, b) for n, a, b in zip(WATCHED, was, now, strict=True) if a != b}
        found.append(
            f"order {order_id} changed with no answer about it (only failures of "
            f"whole calls): {json.dumps(changed, default=str)}"
        )
    return found


# A refill request's row is stamped within this many seconds of its call: written
# before it leaves, then stamped again at its answer (or failure), its retries
# and waits between; to the second.
SENT_WITHIN = 20.0


def refill_breaches(directory: Path, calls: Sequence[Any], cooldown: float) -> list[str]:
    """Given the soak's directory, the panel's calls (soak_panel.Call) and
    ``refill.cooldown`` in seconds, return the refills sent again for an
    order inside the cooldown of its last request, whatever came of that:
    two of its ``refills`` rows requested less than the cooldown apart, or
    a ``refill`` call for it after one in which the panel gave it a refill
    (``Call.done``; a refusal, "not eligible", is none) that was recorded (a
    row of the order stamped within SENT_WITHIN of it), less than the
    cooldown apart; the later one not sent by `refill --force` (which sends
    inside the cooldown by design). Stamps are to the second: 1 s spared."""
    if cooldown <= 0 or not (directory / "t.db").exists():
        return []
    db = sqlite3.connect(directory / "t.db")
    try:
        rows = list(db.execute("SELECT order_id, requested_at, id FROM refills ORDER BY id"))
    finally:
        db.close()
    stamps: dict[int, list[tuple[float, int]]] = {}
    for order_id, requested_at, row_id in rows:
        when = datetime.fromisoformat(requested_at).timestamp()
        stamps.setdefault(order_id, []).append((when, row_id))
    asked: dict[int, list[Any]] = {}
    for call in calls:
        if call.action == "refill":
            for order_id in call.ids:
                asked.setdefault(order_id, []).append(call)
    found = []
    for order_id, made in stamps.items():
        for at, (after, row_id) in enumerate(made[1:], 1):
            before = max(when for when, _ in made[:at])  # the latest of every row before
            forced = any(
                c.forced and abs(c.at - after) <= SENT_WITHIN for c in asked.get(order_id, [])
            )
            if after - before < cooldown - 1 and not forced:
                found.append(
                    f"order {order_id}: refills row {row_id} requested {after - before:.0f} s "
                    f"after the one before, inside refill.cooldown ({cooldown:g} s)"
                )
    for order_id, each in asked.items():
        each = sorted(each, key=lambda c: c.at)
        rowed = [when for when, _ in stamps.get(order_id, [])]
        # Every earlier call, not only the one before (the latest that gave a refill):
        # a refused or forced one between leaves the cooldown of one given before running.
        for at, then in enumerate(each):
            first = next((c for c in reversed(each[:at]) if _gave(c, order_id, rowed)), None)
            if first and not then.forced and then.at - first.at < cooldown - 1:
                found.append(
                    f"order {order_id}: refill sent again {then.at - first.at:.0f} s after "
                    f"one the panel carried out ({first.mode}), inside refill.cooldown "
                    f"({cooldown:g} s): {then.form.get('action')} {then.ids} {then.mode}"
                )
    return found


def _gave(call: Any, order_id: int, rowed: list[float]) -> bool:
    """Whether the panel gave ``order_id`` a refill in ``call`` (refused, or
    never ran: none) that was recorded (a row stamped near it)."""
    return order_id in call.done and any(abs(call.at - when) <= SENT_WITHIN for when in rowed)

"""The fuzz soak's cancel invariants (tests/soak_fuzz.py), checked after
each command: what README's `smm-tracker cancel` promises of the cancels
sent.

- a cancel sent only by the `cancel` command, only for the orders it named;
- never twice for one order in one command once an answer about it was
  stored, the panel's own answer about it came whole, or its outcome is
  unknown (a halved call refused as a whole, or one that certainly never
  reached the panel, may go again);
- never for an order stored as ended but with ``--force``; with ``--force``
  every order named is sent, the ended ones too, in the first call.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from tracker.panel.statuses import TERMINAL

# The soak panel's modes that pass the simulated panel's answer on whole: a
# call the panel carried out in one of them told the tracker what came of it.
WHOLE_ANSWER = ("honest", "slow", "key_headers")


def named(args: list[str]) -> list[int]:
    """Given a `cancel` command's arguments, return the order IDs it names."""
    return [int(a) for a in args[1:] if a.isdigit()]


def cancel_breaches(
    directory: Path, args: list[str], before: dict[int, tuple[Any, ...]], calls: Sequence[Any],
    seen: int, stdout: str = "",
) -> tuple[list[str], int]:  # fmt: skip
    """Given the soak's directory, a command's arguments, the orders before it
    (:func:`soak_checks.orders_now`), the panel's calls while it ran, the last
    ``cancels`` row before it and its stdout, return the cancels it sent that
    the product promises not to send, or did not send though it promises to
    (README, `smm-tracker cancel`), and its last row:

    - any by another command (the soak's config has no automation);
    - an order the command did not name;
    - an order sent again by one `cancel` once an answer about it was stored
      (two of its rows), after a call the panel carried out and answered
      whole (``WHOLE_ANSWER``, sim's 200), or after one it carried out whose
      answer never came whole (``lost``, sim's 200: outcome unknown);
    - an order stored as ended (as last polled) before it, without ``--force``;
    - with ``--force``: an order named missing from the first call (the soak
      names fewer than 100), or said "not sent" as ended.
    """
    rows, last = [], seen
    if (directory / "t.db").exists():
        with closing(sqlite3.connect(directory / "t.db")) as db:
            rows = [r[0] for r in db.execute("SELECT order_id FROM cancels WHERE id > ?", [seen])]
            last = db.execute("SELECT max(id) FROM cancels").fetchone()[0] or 0
    sent = [c for c in calls if c.action == "cancel"]
    what = " ".join(args[:2])
    if args[0] != "cancel":
        return [
            f"{what}: a cancel sent ({c.ids} {c.mode}): only `cancel` sends one" for c in sent
        ], last
    found = [
        f"order {o}: {n} cancels rows from one `cancel`: sent again after its answer was stored"
        for o, n in Counter(rows).items()
        if n > 1
    ]
    forced = "--force" in args
    asked = named(args)
    found += _forced(asked, sent, stdout) if forced else []
    unknown: set[int] = set()
    told: set[int] = set()
    ended = {o for o, row in before.items() if row[0] in TERMINAL and not forced}
    for call in sent:
        found += [
            f"order {o}: cancel sent ({call.mode}), not named" for o in call.ids if o not in asked
        ]
        found += [
            f"order {o}: cancel sent again ({call.mode}) after one the panel carried out "
            "whose answer was lost (outcome unknown)"
            for o in call.ids
            if o in unknown
        ]
        found += [
            f"order {o}: cancel sent again ({call.mode}) after the panel's own answer "
            "about it came whole"
            for o in call.ids
            if o in told
        ]
        found += [
            f"order {o}: cancel sent, stored as {before[o][0]!r}, no --force"
            for o in call.ids
            if o in ended
        ]
        if call.acted and call.code == 200:
            if call.mode == "lost":
                unknown.update(call.ids)
            elif call.mode in WHOLE_ANSWER:
                told.update(call.ids)
    return found, last


def _forced(asked: list[int], sent: Sequence[Any], stdout: str) -> list[str]:
    """Given the orders a `cancel --force` named, its cancel calls and its
    stdout, return the orders it did not send as promised."""
    found = [
        f"cancel --force: {line.strip()!r}"
        for line in stdout.splitlines()
        if "not sent: " in line and "(as last polled)" in line
    ]
    if sent:
        found += [
            f"order {o}: named to `cancel --force`, not in its first call ({sent[0].ids})"
            for o in asked
            if o not in sent[0].ids
        ]
    return found


def forced_cancel(r: random.Random, open_ids: list[int], done_ids: list[int]) -> list[str]:
    """Given the soak's draws for `cancel --force` and the orders open and
    ended, return the IDs one names this round (none: no such command):
    one or two ended orders, sometimes an open one too."""
    if not done_ids or r.random() >= 0.2:
        return []
    chosen = r.sample(done_ids, min(len(done_ids), r.randint(1, 2)))
    if open_ids and r.random() < 0.5:
        chosen.append(r.choice(open_ids))
    return [str(o) for o in chosen]

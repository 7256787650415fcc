"""Each panel's actions' counts of runs of failures in a row, kept across
``run --once`` runs (:mod:`tracker.rules.refill_rounds`: an action that
failed in BROKEN_AFTER of them is broken, and holds no refill round).

A count is a row of ``alert_state`` (no alert, ``active`` 0): ``panel``
the panel's name, ``kind`` ``failed_runs#<action>#<count>``
(``failed_runs#balance#2``), ``since`` when it was stored. An action has
one row at most; an answer of it deletes its row, and so does a run's
start once the config no longer names the panel
(:meth:`tracker.jobs.reach.Reach.carry_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tracker.clock import iso, parse_iso
from tracker.store.orders import Store
from tracker.store.sql import chunks, panels_of, placeholders

KIND = "failed_runs"

Stored = dict[str, dict[str, tuple[int, datetime]]]  # panel -> action -> (count, stored at)


def load_counts(store: Store) -> Stored:
    """Return the counts stored, of every panel (those of a panel the
    config no longer names too: the run deletes them), each with when it
    was stored; a row not of this form (a file edited by hand) is left
    out. Read by index seeks (a scan of alert_state's marks was 3 ms at
    20k of them). Raises what the database raises (busy)."""
    found: Stored = {}
    panels = [str(row["name"]) for row in store.rows(panels_of("alert_state"))]  # a seek each
    for part in chunks(panels, 250):
        rows = store.rows(
            f"SELECT panel, kind, since FROM alert_state WHERE panel IN ({placeholders(part)}) "
            "AND kind GLOB ?",
            [*part, f"{KIND}#*"],
        )
        for row in rows:
            parts = str(row["kind"]).split("#", 2)
            try:
                at = parse_iso(str(row["since"]))
                number = int(parts[2])
            except (TypeError, ValueError, IndexError):
                continue
            action = parts[1]
            found.setdefault(str(row["panel"]), {})[action] = (number, at)
    return found


def save_counts(store: Store, counts: Sequence[tuple[str, str, int]], now: datetime) -> None:
    """Store each ``(panel, action, count)`` as of ``now`` (0: none, its row
    deleted), in one transaction. Raises what the database raises."""
    with store.write(f"{KIND} kept") as db:
        for panel, action, count in counts:
            db.conn.execute(
                "DELETE FROM alert_state WHERE panel = ? AND kind GLOB ?",
                [panel, f"{KIND}#{action}#*"],
            )
            if count > 0:
                db.conn.execute(
                    "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 0, ?)",
                    [panel, f"{KIND}#{action}#{count}", iso(now)],
                )

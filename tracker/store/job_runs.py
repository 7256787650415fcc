"""``job_runs`` (m038): when each of a panel's jobs last ran to success in a
``run --once``, read by ``run --once --due`` to start only the jobs due.

Keyed by the job's name as the scheduler has it, ``kind:panel``
(``services:main``); stored as its panel and kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tracker.clock import iso, read_iso
from tracker.store.connection import Connection


def last_runs(store: Connection) -> dict[str, datetime]:
    """Return each job's last successful ``run --once`` start, by job name (a
    stamp that cannot be read is left out: the job is due)."""
    found = {}
    for panel, kind, ran_at in store.tuples("SELECT panel, kind, ran_at FROM job_runs"):
        moment = read_iso(ran_at)
        if moment is not None:
            found[f"{kind}:{panel}"] = moment
    return found


def record_runs(store: Connection, names: Iterable[str], at: datetime) -> None:
    """Store ``at`` as the last successful run of each job named, in one
    transaction."""
    stamp = iso(at)
    rows = [(panel, kind, stamp) for kind, _, panel in (n.partition(":") for n in names) if panel]
    if not rows:
        return
    with store.write("job_runs") as db:
        db.execute(
            "INSERT INTO job_runs (panel, kind, ran_at) VALUES "
            + ", ".join("(?, ?, ?)" for _ in rows)
            + " ON CONFLICT (panel, kind) DO UPDATE SET ran_at = excluded.ran_at",
            [value for row in rows for value in row],
        )


def forget_runs(store: Connection, panel: str) -> None:
    """Delete ``panel``'s last runs: its jobs are due at the next ``--due``
    run (its key changed: what they learned is asked again at once)."""
    with store.write("job_runs") as db:
        db.execute("DELETE FROM job_runs WHERE panel = ?", [panel])

"""``prune_runs`` (m035): the record of each ``prune`` that deleted anything,
written with its batches, and read by the commands whose window it cut.

A run's row is inserted in the transaction of its first batch that deleted a
row, and its counts brought up to date in each later batch's own: whatever
was committed is counted there, however the run ends. ``ended_at`` is set
once the last batch is done; NULL: the run stopped part-way (Ctrl-C, a
crash, a database error). A dry run, or one that found nothing, writes none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from tracker.clock import iso, utcnow
from tracker.errors import StoreError
from tracker.rules.prune_notes import COMMAND
from tracker.store.connection import Connection, Writing

# The columns every reader takes, with the orders deleted out of ``deleted``.
_COLUMNS = (
    "id, at, panel, older_than, cutoff, ended_at, "
    "coalesce(json_extract(deleted, '$.orders'), 0) AS orders, "
    "coalesce(ran_by, 'command') AS ran_by"
)

# The last prune, for doctor (read by a plain read-only connection: a tuple).
LAST_PRUNE = f"SELECT {_COLUMNS} FROM prune_runs ORDER BY at DESC, id DESC LIMIT 1"


class PruneRun:
    """One ``prune`` run on ``store``, whose batches write its row: given when
    it ran, ``--panel`` (None: every panel), ``--older-than`` as typed and
    the cutoff before which history goes. Without ``at``, a run that records
    nothing (the batches driven alone)."""

    def __init__(
        self,
        store: Connection,
        at: datetime | None = None,
        panel: str | None = None,
        older_than: str = "",
        cutoff: datetime | None = None,
        ran_by: str = COMMAND,
    ):
        self.store = store
        self.at, self.panel, self.older_than, self.cutoff = at, panel, older_than, cutoff
        self.ran_by = ran_by  # COMMAND or DAEMON: the reads' notes name it
        self.id: int | None = None  # once a batch that wrote it is committed
        self.counts: dict[str, int] = {}  # what the committed batches deleted
        self._staged: tuple[int, dict[str, int]] | None = None

    @contextmanager
    def batch(self) -> Iterator[Writing]:
        """Run one batch's transaction (the store's ``write()``): what
        :meth:`stage` wrote in it holds once it is committed."""
        self._staged = None
        with self.store.write("prune") as db:
            yield db
        if self._staged is not None:
            self.id, self.counts = self._staged
            self._staged = None

    def stage(self, db: Writing, deleted: dict[str, int]) -> None:
        """Inside :meth:`batch`, given what the batch deleted per table: write
        the run's row (at its first batch that deleted rows) or add the
        batch's rows to it."""
        if self.at is None or self.cutoff is None or not any(deleted.values()):
            return
        totals = dict(self.counts)
        for table, rows in deleted.items():
            totals[table] = totals.get(table, 0) + rows
        text = json.dumps(totals)
        if self.id is None:
            cursor = db.execute(
                "INSERT INTO prune_runs (at, panel, older_than, cutoff, deleted, ran_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [iso(self.at), self.panel, self.older_than, iso(self.cutoff), text, self.ran_by],
            )
            self._staged = (int(cursor.lastrowid or 0), totals)
        else:
            db.execute("UPDATE prune_runs SET deleted = ? WHERE id = ?", [text, self.id])
            self._staged = (self.id, totals)

    def end(self, now: Callable[[], datetime] = utcnow) -> None:
        """Once the last batch is done: set ``ended_at`` (nothing when no
        batch deleted a row, so no row was written)."""
        if self.id is not None:
            with self.store.write("prune") as db:
                db.execute("UPDATE prune_runs SET ended_at = ? WHERE id = ?", [iso(now()), self.id])


def _read(store: Connection, sql: str, params: list[Any]) -> dict[str, Any] | None:
    try:
        found = store.rows(sql, params)
    except StoreError:  # a file older than prune_runs (m035), read as it is
        return None
    return found[0] if found else None


def newest_cut(store: Connection, panel: str | None) -> dict[str, Any] | None:
    """Return the prune with the latest cutoff that deleted history of
    ``panel`` (None: of any panel, as a read of every panel shows them all):
    a prune of every panel, or of that one. Its keys: id, at, panel (None:
    every panel), older_than, cutoff, ended_at, orders (deleted). None when
    no prune ran."""
    return _read(
        store,
        f"SELECT {_COLUMNS} FROM prune_runs WHERE (? IS NULL OR panel IS NULL OR panel = ?) "
        "ORDER BY cutoff DESC, id DESC LIMIT 1",
        [panel, panel],
    )


def newest_orders_cut(store: Connection, panel: str | None) -> dict[str, Any] | None:
    """Return :func:`newest_cut` among the prunes that deleted orders: what
    an order ID the file does not hold may have been."""
    return _read(
        store,
        f"SELECT {_COLUMNS} FROM prune_runs WHERE (? IS NULL OR panel IS NULL OR panel = ?) "
        "AND json_extract(deleted, '$.orders') > 0 ORDER BY cutoff DESC, id DESC LIMIT 1",
        [panel, panel],
    )

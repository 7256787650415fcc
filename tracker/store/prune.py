"""``prune``'s store side: the records old enough to go counted, or deleted in batches.

An order goes with every row that names it, or none of them: each batch of
orders is one ``BEGIN IMMEDIATE`` transaction that checks its orders again
(the daemon, ``track`` or a refill may have touched one since they were
chosen) and deletes the rows that name them, children before parents. A
crash or Ctrl-C between batches leaves whole orders; the daemon's writes wait
for one batch at most. Balance checks and alerts go the same way, by rows.
Each batch that deletes rows counts them in the run's ``prune_runs`` row in
its own transaction (:mod:`tracker.store.prune_runs`). The queries that choose
them: :mod:`tracker.store.prune_sql`. The ``alert_state`` rows of panels gone
from the config, after them, in one transaction: :func:`forget_gone`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any

from tracker.clock import iso
from tracker.errors import StoreError
from tracker.rules.prune import ROW_BATCH, Cutoffs, batches, families
from tracker.store.alerts import NO_PANEL
from tracker.store.causes import describe_db_error
from tracker.store.connection import Connection
from tracker.store.late_checks import forget_marks
from tracker.store.prune_runs import PruneRun
from tracker.store.prune_sql import ALERTS, BALANCES, LINKS, MARKS, ORDER_TABLES, PRUNABLE, SHOWN
from tracker.store.sql import placeholders
from tracker.store.told_marks import forget_orders

BETWEEN = 0.15  # seconds between two batches: a waiting writer goes first

Execute = Callable[[str, Any], list[tuple[Any, ...]]]
Counts = dict[str, int]


def _params(cut: Cutoffs, panel: str | None) -> dict[str, Any]:
    return {"records": iso(cut.records), "completed": iso(cut.completed), "panel": panel}


def _filtered(sql: str, panel: str | None, column: str) -> str:
    return sql.format(panel=f"AND {column}.panel = :panel" if panel is not None else "")


def _reader(store: Connection) -> Execute:
    """Return a way to run one read query on the store, outside any transaction."""

    def run(sql: str, params: Any) -> list[tuple[Any, ...]]:
        with store.held():
            try:
                return store.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(describe_db_error(store.path, exc)) from None

    return run


def zero() -> Counts:
    """Return a count of 0 for every table prune deletes from."""
    return dict.fromkeys(SHOWN, 0)


def prunable(run: Execute, panel: str, cut: Cutoffs, ids: list[int] | None = None) -> list[int]:
    """Given a way to run a query, return the panel's orders that may go
    (of ``ids`` only, when given)."""
    params: dict[str, Any] = _params(cut, panel)
    sql = PRUNABLE
    if ids is not None:
        sql += f" AND o.order_id IN ({', '.join(f':i{n}' for n in range(len(ids)))})"
        params.update({f"i{n}": order for n, order in enumerate(ids)})
    return [row[0] for row in run(sql, params)]


def plan(store: Connection, panel: str, cut: Cutoffs) -> list[list[list[int]]]:
    """Return the panel's orders that may go, in families, in batches."""
    read = _reader(store)
    found = prunable(read, panel, cut)
    if not found:
        return []
    links = [(child, of) for child, of in read(LINKS, {"panel": panel})]
    return batches(families(found, links))


def _order_rows(run: Execute, panel: str, ids: list[int], *, delete: bool) -> Counts:
    counts = zero()
    for table, where in ORDER_TABLES:
        where = where.replace(MARKS, placeholders(ids))
        if delete:
            counts[table] = run(f"DELETE FROM {table} WHERE {where}", [panel, *ids])[0][0]
        else:
            counts[table] = run(f"SELECT count(*) FROM {table} WHERE {where}", [panel, *ids])[0][0]
    return counts


def _add(total: Counts, more: Counts) -> None:
    for table, count in more.items():
        total[table] += count


Plans = dict[str, list[list[list[int]]]]  # each panel's batches of families


def count(
    store: Connection,
    panels: Iterable[str],
    cut: Cutoffs,
    panel: str | None,
    plans: Plans | None = None,
) -> Counts:
    """Return what prune would delete, per table: the orders of ``panels``
    and the balance checks and alerts (of ``panel`` only, when given). Each
    panel's batches go into ``plans``, for :func:`prune` to delete them
    without choosing them again (each batch is checked again as it goes)."""
    total, read = zero(), _reader(store)
    plans = {} if plans is None else plans
    for name in panels:
        plans[name] = plan(store, name, cut)
        for batch in plans[name]:
            ids = [order for members in batch for order in members]
            _add(total, _order_rows(read, name, ids, delete=False))
    params = _params(cut, panel)
    balances = _filtered(BALANCES, panel, "b")
    total["balances"] = read(f"SELECT count(*) {balances}", params)[0][0]
    alerts = _filtered(ALERTS, panel, "a")
    total["alerts"] = read(f"SELECT count(*) {alerts}", params)[0][0]
    total["alert_deliveries"] = read(
        f"SELECT count(*) FROM alert_deliveries WHERE alert_id IN (SELECT a.id {alerts})", params
    )[0][0]
    return total


def prune(
    store: Connection,
    panels: Iterable[str],
    cut: Cutoffs,
    panel: str | None,
    done: Counts,
    on_batch: Callable[[], None] = lambda: None,
    rows: int = ROW_BATCH,
    pause: Callable[[float], None] = time.sleep,
    plans: Plans | None = None,
    run: PruneRun | None = None,
) -> None:
    """Delete what :func:`count` counts, one batch per transaction, adding what
    each committed batch deleted to ``done`` (what went before an error or a
    Ctrl-C stays counted there), and to ``run``'s row in ``prune_runs``, in
    the batch's transaction; ``on_batch`` is called after each commit.
    Between two batches it waits ``BETWEEN`` seconds: a daemon's write waiting
    for the lock (SQLite's busy handler looks again within 0.1 s) gets it
    then, rather than after every batch that is left. ``plans``: the batches
    :func:`count` chose (a panel not in it is planned here)."""
    run = PruneRun(store) if run is None else run
    run.counts = {**zero(), **run.counts}  # every table in its row, 0 when none went
    for name in panels:
        chosen = plans.get(name) if plans is not None else None
        for batch in plan(store, name, cut) if chosen is None else chosen:
            _add(done, _orders_batch(run, name, batch, cut))
            on_batch()
            pause(BETWEEN)
    for table in ("balances", "alerts"):
        while deleted := _rows_batch(run, table, panel, cut, done, rows):
            on_batch()
            if deleted < rows:
                break
            pause(BETWEEN)
    run.end()


def _rows_batch(
    run: PruneRun, table: str, panel: str | None, cut: Cutoffs, done: Counts, rows: int
) -> int:
    """Delete up to ``rows`` old balance checks or alerts (with their delivery
    rows) in one transaction of ``run``'s; return how many."""
    params, deliveries = _params(cut, panel), 0
    with run.batch() as db:
        if table == "balances":
            chosen = f"SELECT b.rowid {_filtered(BALANCES, panel, 'b')} LIMIT {rows}"
            deleted = db.execute(f"DELETE FROM balances WHERE rowid IN ({chosen})", params)
        else:
            chosen = f"SELECT a.id {_filtered(ALERTS, panel, 'a')} LIMIT {rows}"
            ids = [row[0] for row in db.execute(chosen, params)]
            marks = placeholders(ids)
            sent = db.execute(f"DELETE FROM alert_deliveries WHERE alert_id IN ({marks})", ids)
            deliveries = sent.rowcount
            deleted = db.execute(f"DELETE FROM alerts WHERE id IN ({marks})", ids)
        run.stage(db, {table: deleted.rowcount, "alert_deliveries": deliveries})
    done["alert_deliveries"] += deliveries  # counted once committed
    done[table] += deleted.rowcount
    return deleted.rowcount


def _orders_batch(run: PruneRun, panel: str, batch: list[list[int]], cut: Cutoffs) -> Counts:
    """Delete one batch of families in one transaction of ``run``'s, each
    checked again inside it: a family with an order that may no longer go,
    or that a new re-order names as its parent, is left whole."""
    with run.batch() as db:

        def execute(sql: str, params: Any) -> list[tuple[Any, ...]]:
            cursor = db.execute(sql, params)
            return cursor.fetchall() if cursor.description else [(cursor.rowcount,)]

        ids = [order for members in batch for order in members]
        still = set(prunable(execute, panel, cut, ids))
        chosen = set(ids)
        named = {of for child, of in execute(LINKS, {"panel": panel}) if child not in chosen}
        kept = [m for m in batch if still.issuperset(m) and named.isdisjoint(m)]
        ids = [order for members in kept for order in members]
        counts = _order_rows(execute, panel, ids, delete=True) if ids else zero()
        forget_marks(db.conn, panel, ids)  # alert_state's per order: bookkeeping, not counted
        forget_orders(db.conn, panel, ids)  # and the lines told of them once (told_marks)
        run.stage(db, counts)
    return counts


# The alert_state rows of the panels the config no longer names (``names``)
# and the database holds no order of: their last run's URL (run_url#...), the
# quirks and lines told once, episodes left open. Never the rows kept under
# no panel's name (the alert targets' outages, NO_PANEL).
_GONE = (
    "FROM alert_state WHERE panel != ? AND panel NOT IN ({names}) "
    "AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.panel = alert_state.panel)"
)


def gone_marks(store: Connection, configured: Collection[str]) -> int:
    """Return how many rows :func:`forget_gone` would delete."""
    names = sorted(configured)
    sql = "SELECT count(*) " + _GONE.format(names=placeholders(names))
    return int(_reader(store)(sql, [NO_PANEL, *names])[0][0])


def forget_gone(store: Connection, configured: Collection[str]) -> int:
    """Delete every ``alert_state`` row of the panels the config no longer
    names (``configured``: its panels' names) and the database holds no
    order of: nothing runs at them nor reads them, and the rows stayed
    forever (the URL its last run ran at, :mod:`tracker.store.run_counts`,
    its quirks and lines told once, an episode left open). A configured
    panel's are kept (its next run reads them), with orders or none yet;
    so are those of one with orders left (the config left it out, maybe for
    a while: `orders` names it). One transaction; return how many went."""
    names = sorted(configured)
    with store.write("prune") as db:
        gone = db.execute("DELETE " + _GONE.format(names=placeholders(names)), [NO_PANEL, *names])
    return gone.rowcount

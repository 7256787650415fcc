"""``python -m bench.writer``: the poll's writer measured apart (issue #15).

Builds a database of N tracked orders, each seen once (Pending, as the
all-change bench's first sight leaves them), then stores an all-change
poll's answers (every order to In progress with a new remains) as the poll
hands them over: answers of 100 orders, ``poll.GROUP_ANSWERS`` to a
transaction (``Store.apply_answers``), on a fresh copy of that database at
each of R repetitions. Prints, as CPU per order (``time.process_time``,
best of R; the host is shared, so a single timing is noise):

- ``writer``: the whole of ``Store.apply_answers``;
- ``sql``: the part of it inside ``sqlite3`` (execute, fetchall), and that
  part by statement (SELECT, UPDATE, INSERT, COMMIT...); the rest is Python;
- ``bare``: the bare pipeline's statements (:func:`bench.yardsticks.pipeline`:
  one UPDATE by key and one INSERT per order, ``executemany``, one
  transaction) writing the same changes on the same database.

Single-threaded: in ``run --once`` the writer shares the GIL and the cores
with the poll's workers, which adds ~3 µs an order to its thread's CPU.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.driver import CADENCE, PANEL, track
from bench.yardsticks import BARE_INSERT, BARE_UPDATE
from tracker.clock import iso, utcnow
from tracker.jobs.poll import GROUP_ANSWERS
from tracker.panel.models import OrderStatus
from tracker.store.orders import Store

Answer = tuple[list[int], dict[int, OrderStatus]]
SPENT: dict[str, float] = defaultdict(float)  # CPU inside sqlite3, by statement


class _Cursor(sqlite3.Cursor):
    def fetchall(self) -> list[Any]:
        started = time.process_time()
        try:
            return super().fetchall()
        finally:
            SPENT["SELECT"] += time.process_time() - started


class _Timed(sqlite3.Connection):
    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        started = time.process_time()
        try:
            return self.cursor(_Cursor).execute(sql, *args)
        finally:
            SPENT[sql.split(None, 1)[0]] += time.process_time() - started


@contextmanager
def timed_connections() -> Iterator[None]:
    """Within the block, connections the Store opens time their statements."""
    connect = sqlite3.connect
    sqlite3.connect = lambda *a, **k: connect(*a, **{**k, "factory": _Timed})
    try:
        yield
    finally:
        sqlite3.connect = connect


def answers(n: int, status: str, remains: int) -> list[list[Answer]]:
    """Return ``n`` orders' reports, 100 to an answer, grouped as the poll stores them."""
    ids = list(range(1, n + 1))
    made = [
        (
            ids[s : s + 100],
            {
                i: OrderStatus(i, status, status, True, Decimal("0.90"), 123, remains, "USD")
                for i in ids[s : s + 100]
            },
        )
        for s in range(0, n, 100)
    ]
    return [made[s : s + GROUP_ANSWERS] for s in range(0, len(made), GROUP_ANSWERS)]


def _fresh(base: Path, copy: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copy(base, copy)
    return copy


def measure(n: int, repeat: int, workdir: Path) -> dict[str, Any]:
    """Build the database in ``workdir`` and measure; return µs per order (best of ``repeat``)."""
    base = workdir / "base.db"
    track(base, [range(1, n + 1)])
    store, seen = Store(base), utcnow() - timedelta(minutes=10)
    for group in answers(n, "Pending", 1000):
        store.apply_answers(PANEL, group, seen, CADENCE, polled_at=seen, lost=[], odd=[])
    store.close()
    groups = answers(n, "In progress", 500)
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    for _ in range(repeat):
        with timed_connections():
            store = Store(_fresh(base, workdir / "run.db"))
        now = utcnow()
        SPENT.clear()
        started = time.process_time()
        for group in groups:
            store.apply_answers(PANEL, group, now, CADENCE, polled_at=now - timedelta(seconds=3))
        best["writer"] = min(best["writer"], time.process_time() - started)
        best["sql"] = min(best["sql"], sum(SPENT.values()))
        for kind, spent in SPENT.items():
            best[f"sql {kind}"] = min(best[f"sql {kind}"], spent)
        store.close()
        best["bare"] = min(best["bare"], bare(_fresh(base, workdir / "bare.db"), n, iso(now)))
    return {"orders": n, "repeat": repeat, **{k: v / n * 1e6 for k, v in best.items()}}


def bare(db: Path, n: int, stamp: str) -> float:
    """Return the CPU seconds of the bare pipeline's statements for the same changes."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    updates = [("In progress", 500, 0.9, stamp, stamp, PANEL, i) for i in range(1, n + 1)]
    inserts = [(PANEL, i, stamp, "In progress", 500, 0.9, "In progress") for i in range(1, n + 1)]
    started = time.process_time()
    with conn:
        conn.executemany(BARE_UPDATE, updates)
        conn.executemany(BARE_INSERT, inserts)
    spent = time.process_time() - started
    conn.close()
    return spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.writer", description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-writer-") as work:
        figures = measure(args.orders, args.repeat, Path(work))
    for name, value in figures.items():
        if name not in ("orders", "repeat"):
            print(f"{name:<16} {value:6.2f} us/order")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

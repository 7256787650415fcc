"""``python -m bench.watchpass``: the stall watch's pass over many open orders.

Builds a database of N open orders (In progress, three services, each
last changed within 5 h 30 min: none stalled; judged once, so nothing is
due) and N/2 completed ones (the services' medians have samples), then
measures, as wall and CPU (``time.process_time``, best of R; the host is
shared, so a single timing is noise):

- the pass's reads apart: ``service_medians``, ``due_orders`` paged as the
  pass pages it, ``closed_watches``; each reads every open order (or every
  watch row) of the panel, whatever changed;
- the whole pass (``watch_stalls``, medians given) when nothing changed,
  when K orders changed since (a daemon's pass: few changed, many open),
  and when every order changed and was judged ahead
  (:class:`tracker.jobs.prejudge.Prejudge`, as ``run --once`` does during
  its poll).

Prints each in ms and in µs per open order, then the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tracker.clock import iso
from tracker.config.model import AutomationConfig
from tracker.jobs.prejudge import Prejudge
from tracker.jobs.stalls import PAGE, service_medians, watch_stalls
from tracker.store.orders import Store
from tracker.store.watch import closed_watches
from tracker.store.watch_changed import due_orders

PANEL = "main"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
_OPEN = (
    "INSERT INTO orders (panel, order_id, status, polling, remains, service, quantity, "
    "created_at, updated_at, last_change_at, last_checked_at, next_check_at) "
    "VALUES (?, ?, 'In progress', 1, ?, ?, 1000, ?, ?, ?, ?, ?)"
)
_DONE = (
    "INSERT INTO orders (panel, order_id, status, polling, remains, service, quantity, "
    "created_at, updated_at, last_change_at, completed_at) "
    "VALUES (?, ?, 'Completed', 0, 0, ?, 1000, ?, ?, ?, ?)"
)


class _Alerts:
    """An alerter that keeps nothing; the panel never blind."""

    def episode(self, panel: str, kind: str) -> Any:
        return None

    def raise_alert(self, alert: Any) -> Any:
        return alert


def build(db: Path, n: int) -> Store:
    """Return a store of ``n`` open orders, each judged and settled, and ``n // 2`` completed."""
    rnd, store = random.Random(1), Store(db)
    stamp = iso(T0)
    with store.write() as w:
        w.conn.executemany(
            _OPEN,
            [
                (PANEL, i, rnd.randint(1, 999), rnd.choice([1, 2, 3]), stamp, stamp)
                + (iso(T0 + timedelta(minutes=rnd.randint(330, 600))),)
                + (iso(T0 + timedelta(hours=11)), iso(T0 + timedelta(hours=12)))
                for i in range(1, n + 1)
            ],
        )
        w.conn.executemany(
            _DONE,
            [
                (PANEL, n + i, rnd.choice([1, 2, 3]), stamp, stamp, stamp)
                + (iso(T0 + timedelta(hours=rnd.randint(1, 30))),)
                for i in range(1, n // 2 + 1)
            ],
        )
    return store


def measure(n: int, changed: int, repeat: int, workdir: Path) -> dict[str, Any]:
    """Build the database in ``workdir`` and measure; return ms (best of ``repeat``)."""
    store, config, rnd = build(workdir / "watch.db", n), AutomationConfig(), random.Random(2)
    now = T0 + timedelta(hours=11)

    def clock() -> datetime:
        return now

    def run() -> dict[str, int]:
        return watch_stalls(store, PANEL, config, _Alerts(), clock, medians, late=600.0)

    medians = service_medians(store, PANEL, now)
    run()  # every order judged (the settings never seen): nothing due now
    figures: dict[str, Any] = {"orders": n, "changed": changed, "repeat": repeat}

    def best(name: str, step: Callable[[], Any], before: Callable[[], Any] | None = None) -> None:
        walls, cpus = [], []
        for _ in range(repeat):
            if before is not None:
                before()
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        figures[f"{name} wall ms"] = min(walls) * 1e3
        figures[f"{name} cpu ms"] = min(cpus) * 1e3

    def pages() -> None:
        after = 0
        while rows := due_orders(store, PANEL, after=after, limit=PAGE, medians=medians, due=now):
            after = rows[-1].order_id

    def change(k: int, ahead: bool) -> None:
        nonlocal now
        now += timedelta(seconds=10)
        ids = rnd.sample(range(1, n + 1), k)
        with store.write() as w:
            w.conn.executemany(
                "UPDATE orders SET remains = remains - 1, last_change_at = ? "
                "WHERE panel = ? AND order_id = ?",
                [(iso(now - timedelta(seconds=5)), PANEL, i) for i in ids],
            )
        if ahead:
            prejudge = Prejudge(store, PANEL, config, clock)
            prejudge.changed({"panel": PANEL, "order_id": i} for i in ids)
            while prejudge.step():
                pass

    best("service_medians", lambda: service_medians(store, PANEL, now))
    best("due_orders", pages)
    best("closed_watches", lambda: closed_watches(store, PANEL))
    best("pass, nothing changed", run)
    best(f"pass, {changed} changed", run, lambda: change(changed, False))
    best("pass, all changed and judged ahead", run, lambda: change(n, True))
    store.close()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.watchpass", description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-watchpass-") as work:
        figures = measure(args.orders, args.changed, args.repeat, Path(work))
    for name, value in figures.items():
        if name.endswith(" ms"):
            print(f"{name:<46} {value:8.2f} ms {value * 1e3 / args.orders:6.2f} us/order")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Yardsticks measured in the same run, so the figures travel between machines.

Absolute times differ from one machine to the next; a ratio to a floor
measured beside it does not (much). Three floors:

- **interpreter**: ``python -c pass`` from the venv the tracker runs in, the
  start-up no command can beat;
- **bare client**: the same status calls (same IDs, 100 per call, the same
  number in flight) sent by a plain thread pool with one ``httpx.Client``,
  answers kept and nothing else done: the wall a cycle cannot beat;
- **bare pipeline**: those answers decoded with ``json`` and the same rows
  (one ``orders`` update and one ``transitions`` insert per order) written
  with ``sqlite3`` ``executemany`` in one transaction, in a fresh process:
  the CPU a cycle cannot beat without skipping work.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

# The bare pipeline's statements: what the tracker's writer does for each
# changed order, at its plainest (bench.writer runs them too).
BARE_UPDATE = (
    "UPDATE orders SET status = ?, remains = ?, charge = ?, last_checked_at = ?, "
    "updated_at = ? WHERE panel = ? AND order_id = ?"
)
BARE_INSERT = (
    "INSERT INTO transitions (panel, order_id, at, to_status, remains, charge, "
    "raw_status) VALUES (?, ?, ?, ?, ?, ?, ?)"
)

BATCH = 100


def bare_client(
    url: str, key: str, ids: Iterable[range], *, concurrency: int, out: Path
) -> dict[str, Any]:
    """POST every status call a full cycle makes; write the answers to ``out``
    (one JSON string per line); return the wall seconds and the call count."""
    batches = [
        ",".join(map(str, block[start : start + BATCH]))
        for block in ids
        for start in range(0, len(block), BATCH)
    ]
    with httpx.Client(timeout=30.0) as client:

        def call(orders: str) -> str:
            answer = client.post(url, data={"key": key, "action": "status", "orders": orders})
            answer.raise_for_status()
            return answer.text

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            bodies = list(pool.map(call, batches))
        wall = time.perf_counter() - started
    with out.open("w") as handle:
        for body in bodies:
            handle.write(json.dumps(body) + "\n")
    return {"wall_s": wall, "calls": len(batches)}


def bare_pipeline(copy: Path, bodies: Path, panel: str) -> dict[str, Any]:
    """Run :func:`pipeline` in a fresh process on ``copy`` (the database as it
    was before the measured cycle, removed afterwards); return its figures."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.yardsticks", str(copy), str(bodies), panel],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pipeline(db: Path, bodies: Path, panel: str) -> dict[str, Any]:
    """Decode the answers and write the same rows a full cycle writes; return
    the CPU seconds of that work (the interpreter's start excluded, as the
    cycle's own figure excludes it) and the rows written."""
    texts = [json.loads(line) for line in bodies.read_text().splitlines()]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    cpu = _cpu()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    updates, inserts = [], []
    for text in texts:
        for order_id, item in json.loads(text).items():
            if not isinstance(item, dict) or "status" not in item:
                continue
            status, remains, charge = item["status"], item.get("remains"), item.get("charge")
            updates.append((status, remains, charge, now, now, panel, int(order_id)))
            inserts.append((panel, int(order_id), now, status, remains, charge, status))
    with conn:
        conn.executemany(BARE_UPDATE, updates)
        conn.executemany(BARE_INSERT, inserts)
    cpu = _cpu() - cpu
    conn.close()
    return {"cpu_s": cpu, "rows": len(updates)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The bare pipeline (run by the bench).")
    parser.add_argument("db", type=Path)
    parser.add_argument("bodies", type=Path)
    parser.add_argument("panel")
    args = parser.parse_args(argv)
    print(json.dumps(pipeline(args.db, args.bodies, args.panel)))


if __name__ == "__main__":
    main()

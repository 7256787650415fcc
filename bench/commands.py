"""How long the read commands take on a big database, as a user runs them.

Each command runs as its own process (``smm-tracker --config ... orders``),
so the figure includes Python's start and the imports; ``--version`` is
timed the same way to show that part alone. The query by itself is timed
in-process too.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tracker.store.listing import iter_orders
from tracker.store.orders import Store

REPEAT = 5


def child_env(key: str) -> dict[str, str]:
    """Return the environment a measured tracker process runs in: this one, with
    the panel key, and with bytecode caching on as in a user's install (pip
    compiles a package's modules when it installs them; a measured run must
    not recompile the tracker's on every start because this shell says
    PYTHONDONTWRITEBYTECODE)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["BENCH_PANEL_KEY"] = key
    return env


def tracker_command() -> list[str]:
    script = Path(sys.executable).with_name("smm-tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


def wall_ms(args: list[str], env: dict[str, str], repeat: int = REPEAT) -> float:
    """Run a command ``repeat`` times (after one warm-up); return the median wall ms."""
    times = []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[-3:])} failed: {done.stderr.strip()[:300]}")
        if attempt:
            times.append(elapsed * 1000)
    return statistics.median(times)


def query_ms(fn: Any) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def time_commands(config: Path, db: Path, panel: str, order_id: int, key: str) -> dict[str, Any]:
    """Return wall ms of ``orders``, ``orders --status``, ``orders --json --limit``
    and ``history`` on the benchmark's database, with the start-up cost alone."""
    env = child_env(key)
    base = [*tracker_command(), "--config", str(config)]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "startup (--version)": [*tracker_command(), "--version"],
        "orders": [*base, "orders"],
        "orders --status Processing": [*base, "orders", "--status", "Processing"],
        "orders --json --limit 100": [*base, "orders", "--json", "--limit", "100"],
        "history ID": [*base, "history", str(order_id)],
    }
    result: dict[str, Any] = {name: round(wall_ms(args, env), 1) for name, args in commands.items()}
    store = Store(db)
    try:
        result["query: newest 100"] = round(
            query_ms(lambda: list(iter_orders(store, panel=panel, limit=101))), 2
        )
        result["query: newest 100 Processing"] = round(
            query_ms(lambda: list(iter_orders(store, status="Processing", limit=101))), 2
        )
        result["query: history"] = round(
            query_ms(lambda: (store.order(panel, order_id), store.history(panel, order_id))), 2
        )
    finally:
        store.close()
    return result

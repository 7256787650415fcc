"""What the fuzz soak's world (tests/soak_fuzz.py) is set up with and reads:
its config, the panel's clock, the idempotency keys and orders in its
database, and the daemon's metrics and command line (to search for the key).
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
import urllib.request
from contextlib import closing
from pathlib import Path

TIMEOUT, BUSY = 3.0, 5.0


def config_text(url: str, r: random.Random, metrics_port: int, cooldown: int = 0) -> str:
    return f"""
[database]
path = "t.db"
busy_timeout = "{BUSY:g}s"
[[panels]]
name = "sim"
url = "{url}"
key_env = "SIM_KEY"
timeout = "{TIMEOUT:g}s"
retries = 2
retry_budget = "8s"
max_batch = {r.choice([1, 3, 7, 20, 100])}
concurrency = {r.choice([1, 2, 4])}
[schedule]
status_every = "2s"
status_max_every = "4s"
services_every = "1m"
refill_every = "3s"
balance_every = "3s"
unknown_give_up = "{r.choice(["0s", "1m", "3m"])}"
late_checks = ["1m", "2m"]
[refill]
first_check = "0s"
cooldown = "{cooldown}s"
unknown_service = "try"
[alerts]
unreachable_after = "30s"
[metrics]
listen = "127.0.0.1:{metrics_port}"
[logging]
level = "debug"
format = "json"
"""


def cli_env(key: str, source: str) -> dict[str, str]:
    """The CLI's environment: the key in SIM_KEY, this tree's tracker first,
    none of the caller's config (SMM_TRACKER_CONFIG) nor systemd's socket."""
    env = {**os.environ, "SIM_KEY": key, "PYTHONPATH": source}
    env.pop("SMM_TRACKER_CONFIG", None)
    env.pop("NOTIFY_SOCKET", None)
    return env


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def idempotency_keys(directory: Path) -> list[tuple[str, str, int | None]]:
    if not (directory / "t.db").exists():
        return []
    with closing(sqlite3.connect(directory / "t.db")) as db:
        return list(db.execute("SELECT idempotency_key, status, order_id FROM idempotency_keys"))


def order_ids(directory: Path) -> tuple[list[int], list[int]]:
    with closing(sqlite3.connect(directory / "t.db")) as db:
        rows = list(db.execute("SELECT order_id, polling, status FROM orders"))
    return [o for o, p, _s in rows if p], [o for o, p, s in rows if not p and s == "Completed"]


def scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            return "\n" + answer.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"\n(metrics not read: {exc})"


def cmdline(pid: int) -> str:
    try:
        return "\n" + Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""

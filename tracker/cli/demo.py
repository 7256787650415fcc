"""``smm-tracker demo``: the daemon against the built-in simulated panel.

Starts a :class:`~tracker.simulator.PanelServer` on loopback, places a handful
of orders through the real client (as ``smm-tracker add`` would), and runs the
real scheduler with fast intervals on a temporary database, printing every
status transition as it is recorded.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracker.cli.render import transition_line
from tracker.clock import utcnow
from tracker.config.load import config_from_dict
from tracker.config.model import Config
from tracker.errors import PanelError
from tracker.jobs.tracker import Tracker
from tracker.panel.models import NewOrder
from tracker.panel.statuses import TERMINAL
from tracker.service.daemon import run_daemon
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES, SERVICE_VIEWS, PanelServer

# (service, quantity): a mix the simulator delivers at different rates.
ORDER_MIX = [(SERVICE_FOLLOWERS, 500), (SERVICE_LIKES, 1000), (SERVICE_VIEWS, 5000)]


def demo_config(url: str, key: str, db_path: Path, every: float) -> Config:
    """Given the simulator's URL and key, return a config with fast intervals."""
    data: dict[str, Any] = {
        "database": {"path": str(db_path)},
        "panels": [
            {
                "name": "demo",
                "url": url,
                "key": key,
                "timeout": "5s",
                "retries": 2,
                "retry_budget": "10s",
            }
        ],
        "schedule": {
            "status_every": every,
            "status_max_every": every,
            "balance_every": max(every * 5, 10),
            "refill_every": max(every * 5, 10),
            "services_every": 60,
        },
    }
    return config_from_dict(data, base_dir=db_path.parent, env={})


def place_orders(tracker: Tracker, count: int, echo: Callable[[str], None]) -> list[int]:
    """Place ``count`` orders on the demo panel and track them; return their IDs."""
    client = tracker.clients["demo"]
    ids = []
    for i in range(count):
        service, quantity = ORDER_MIX[i % len(ORDER_MIX)]
        link = f"https://instagram.example/demo_account_{i}"
        try:
            order_id = client.add(NewOrder(service=service, link=link, quantity=quantity))
        except PanelError as exc:
            echo(f"could not place order {i + 1}: {exc}")
            continue
        tracker.store.track(
            "demo",
            [order_id],
            utcnow(),
            service=service,
            link=link,
            quantity=quantity,
            source="add",
        )
        ids.append(order_id)
    echo(f"placed {len(ids)} orders: {', '.join(map(str, ids))}")
    return ids


def run_demo(
    *,
    orders: int,
    speed: float,
    every: float,
    duration: float | None,
    keep: Path | None,
    stop: threading.Event,
    echo: Callable[[str], None],
) -> int:
    """Run the demo until ``stop`` is set (Ctrl-C) or ``duration`` passes; return
    how many transitions were shown."""
    key = secrets.token_urlsafe(24)
    workdir = keep or Path(tempfile.mkdtemp(prefix="smm-tracker-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    shown = 0
    with PanelServer(key=key, speed=speed, seed=2, balance="250") as server:
        echo(f"simulated panel at {server.url}; database {workdir / 'demo.db'}")
        config = demo_config(server.url, key, workdir / "demo.db", every)
        tracker = Tracker(config, stop_event=stop)
        try:
            ids = place_orders(tracker, orders, echo)
            final = threading.Event()

            def show(transitions: list[dict[str, Any]]) -> None:
                nonlocal shown
                for t in transitions:
                    echo(transition_line(t))
                    shown += 1
                open_left = [
                    o for o in tracker.store.orders(panel="demo") if o["status"] not in TERMINAL
                ]
                if ids and not open_left and not final.is_set():
                    final.set()
                    echo(
                        f"all {len(ids)} orders reached a final status (Ctrl-C to quit)"
                        if duration is None
                        else ""
                    )

            tracker.transition_listeners.append(show)
            if duration is not None:
                threading.Timer(duration, stop.set).start()
            echo("watching (Ctrl-C to stop)...")
            run_daemon(tracker.jobs(), stop)
            summarize(tracker, echo)
            if keep is not None:
                db = workdir / "demo.db"
                echo(f"kept: smm-tracker report --database {db}")
                echo(f"      smm-tracker dashboard --database {db}")
        finally:
            tracker.close()
    return shown


def summarize(tracker: Tracker, echo: Callable[[str], None]) -> None:
    counts: dict[str, int] = {}
    for row in tracker.store.orders(panel="demo"):
        counts[row["status"] or "no status"] = counts.get(row["status"] or "no status", 0) + 1
    echo("final: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    echo(f"history: sqlite3 {tracker.store.path} 'SELECT * FROM transitions'")

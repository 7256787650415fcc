"""``smm-tracker demo``: the daemon against the built-in simulated panel.

Starts a :class:`~tracker.simulator.PanelServer` on loopback, places a handful
of orders through the real client (as ``smm-tracker add`` would), and runs the
real scheduler with fast intervals on a temporary database, printing every
status transition as it is recorded, until every order it placed is final
(``--duration`` or Ctrl-C may end it sooner). A demo that placed no order
(every ``add`` refused) ends at once: nothing to watch.
"""

from __future__ import annotations

import logging
import secrets
import shlex
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.cli.main import EXIT_USAGE, fail
from tracker.cli.render import alert_line, transition_line
from tracker.clock import utcnow
from tracker.config.load import config_from_dict
from tracker.config.model import Config
from tracker.errors import PanelError
from tracker.jobs.tracker import Tracker
from tracker.panel.models import NewOrder
from tracker.panel.statuses import TERMINAL
from tracker.rules.counts import counted
from tracker.rules.delivery import total_quantity
from tracker.rules.episodes import Alert
from tracker.service.daemon import run_daemon
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES, SERVICE_VIEWS, PanelServer
from tracker.store.ids import largest_order_id
from tracker.store.stopping import untrack

FIRST_ORDER_ID = 23501  # a fresh demo's first order, as in the README

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


def place_orders(
    tracker: Tracker,
    count: int,
    echo: Callable[[str], None],
    stop: threading.Event | None = None,
) -> list[int]:
    """Place ``count`` orders on the demo panel and track them; return their
    IDs. A ``stop`` set meanwhile (Ctrl-C, SIGTERM) places no more: said once,
    where each order left printed `could not place order N: ... stopping`."""
    client = tracker.clients["demo"]
    ids = []
    for i in range(count):
        if stop is not None and stop.is_set():
            echo(f"stopped: {count - i} of {counted(count, 'order')} not placed")
            break
        service, quantity = ORDER_MIX[i % len(ORDER_MIX)]
        link = f"https://instagram.example/demo_account_{i}"
        try:
            order_id = int(client.add(NewOrder(service=service, link=link, quantity=quantity)))
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
    if ids:
        echo(f"placed {counted(len(ids), 'order')}: {', '.join(map(str, ids))}")
    else:
        echo("placed no orders")
    return ids


class _EchoSink:
    """Alerts as one human line each, on the demo's output (not as log records)."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo = echo

    def send(self, alert: Alert) -> bool:
        self.echo(alert_line(alert))
        return True


def _not_an_alert_record(record: logging.LogRecord) -> bool:
    """Logging filter: drop the "alert" log records, which the sink shows instead."""
    return not (isinstance(record.msg, dict) and record.msg.get("event") == "alert")


@dataclass(frozen=True)
class Ended:
    """How a demo ended: the status changes it showed, the orders it placed."""

    shown: int
    placed: int


def run_demo(
    *,
    orders: int,
    speed: float,
    every: float,
    duration: float | None,
    keep: Path | None,
    stop: threading.Event,
    echo: Callable[[str], None],
) -> Ended:
    """Run the demo until every order it placed is final, ``stop`` is set
    (Ctrl-C) or ``duration`` passes; at once when it placed none. Return how
    many transitions it showed, and how many orders it placed. The temporary
    folder is removed unless ``keep``."""
    workdir = keep.absolute() if keep else Path(tempfile.mkdtemp(prefix="smm-tracker-demo-"))
    if keep:
        _make_folder(workdir)
    alert_log = logging.getLogger("tracker.alerts")
    alert_log.addFilter(_not_an_alert_record)
    try:
        return _run(orders, speed, every, duration, workdir, keep is not None, stop, echo)
    finally:
        alert_log.removeFilter(_not_an_alert_record)
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _make_folder(path: Path) -> None:
    """Given ``--keep DIR``, create it and its missing parents. Exit 2, leaving
    none of them, when one cannot be made (a file on the way, a name too long,
    no permission), or when it is there and no folder."""
    created: list[Path] = []
    try:
        missing = [p for p in (path, *path.parents) if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            created.insert(0, folder)
    except OSError as exc:
        _remove_empty(created)
        fail(f"--keep: cannot create {path}: {exc.strerror or exc}", EXIT_USAGE)
    if not path.is_dir():  # a regular file, a FIFO, /dev/null (click checks none of them)
        fail(f"--keep: {path} is not a folder; name the folder to keep the database in", EXIT_USAGE)


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            return


def _run(
    orders: int,
    speed: float,
    every: float,
    duration: float | None,
    workdir: Path,
    kept: bool,
    stop: threading.Event,
    echo: Callable[[str], None],
) -> Ended:
    key = secrets.token_urlsafe(24)
    db_path = workdir / "demo.db"
    # A kept folder holds the orders of earlier demos: new ones start past them,
    # or the tracker would take the new simulator's orders for the old ones.
    first = (largest_order_id(db_path) or FIRST_ORDER_ID - 1) + 1
    shown = 0
    with PanelServer(key=key, speed=speed, seed=2, balance="250", first_order_id=first) as server:
        # Two lines: together, with the temporary folder's path, they ran to
        # ~97 columns, broken inside the path on an 80-column terminal.
        echo(f"simulated panel at {server.url}")
        echo(f"database {db_path}")
        config = demo_config(server.url, key, db_path, every)
        tracker = Tracker(config, stop_event=stop)
        tracker.unit_manager = "demo"  # auth_failed's fix: the demo's restart, no systemctl
        tracker.watch.alerter.sink = _EchoSink(echo)
        try:
            _retire_earlier_orders(tracker, first, echo)
            ids = place_orders(tracker, orders, echo, stop)
            final = threading.Event()

            def show(transitions: list[dict[str, Any]]) -> None:
                nonlocal shown
                placed = {o["order_id"]: o for o in tracker.store.orders(panel="demo")}
                for t in transitions:
                    order = placed.get(t["order_id"], {})
                    # The remains is judged by the order's quantity (rules.delivery).
                    total = total_quantity(order.get("quantity"), order.get("runs"))
                    echo(transition_line(t, total))
                    shown += 1
                open_left = [
                    o
                    for o in placed.values()
                    if o["order_id"] in ids and o["status"] not in TERMINAL
                ]
                if ids and not open_left and not final.is_set():
                    final.set()  # nothing more happens in the demo: it ends, --duration
                    stop.set()  # or not; this poll's alerts said first (listeners after this)

            # First, so each transition is shown before the alerts it raises.
            tracker.transition_listeners.insert(0, show)
            if ids:  # none placed: nothing to watch (the caller says why it ends)
                _watch(tracker, stop, duration, echo)
            if final.is_set():
                # Late checks (an hour on) and refills of drops (a day on) are
                # a real tracker's, not the demo's: nothing more would show.
                echo(
                    f"{_all(len(ids))} reached a final status: nothing more to show, the demo ends"
                )
            summarize(tracker, echo, ids, kept=kept)
        finally:
            tracker.close()
    return Ended(shown=shown, placed=len(ids))


def _watch(
    tracker: Tracker, stop: threading.Event, duration: float | None, echo: Callable[[str], None]
) -> None:
    """Run the daemon's jobs until ``stop`` is set: Ctrl-C, every order final,
    or ``duration`` passed (its timer cancelled when the demo ends before)."""
    timer = None
    if duration is not None:
        # A daemon thread: after Ctrl-C the process must not wait for it.
        timer = threading.Timer(duration, stop.set)
        timer.daemon = True
        timer.start()
    try:
        echo("watching (times UTC; Ctrl-C to stop)...")
        run_daemon(tracker.jobs(), stop)
    finally:
        if timer is not None:
            timer.cancel()
            timer.join(1.0)  # its thread ends at once: not left past the demo


def _all(count: int) -> str:
    """Return "all 9 orders", or "the order" when the demo placed one."""
    return "the order" if count == 1 else f"all {counted(count, 'order')}"


def _retire_earlier_orders(tracker: Tracker, first: int, echo: Callable[[str], None]) -> None:
    """Stop polling a kept folder's unfinished orders: the simulator that knew them is gone."""
    earlier = [o["order_id"] for o in tracker.store.orders(panel="demo") if o["polling"]]
    if earlier:
        untrack(tracker.store, "demo", earlier, utcnow(), reason="an earlier demo's order")
        echo(f"untracked {counted(len(earlier), 'unfinished order')} of an earlier demo")
    if first != FIRST_ORDER_ID:
        echo(f"new orders start at #{first}, past the earlier demos' orders")


def summarize(tracker: Tracker, echo: Callable[[str], None], ids: list[int], *, kept: bool) -> None:
    counts: dict[str, int] = {}
    partial: list[int] = []
    for row in tracker.store.orders(panel="demo"):
        if row["order_id"] in ids:  # this run's orders, not a kept folder's older ones
            counts[row["status"] or "no status"] = counts.get(row["status"] or "no status", 0) + 1
            if row["status"] == "Partial":
                partial.append(row["order_id"])
    if counts:
        echo("final: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    else:
        echo("final: no orders of this run")
    if not kept:
        echo("(the temporary database is removed; --keep DIR keeps it)")
        return
    # Commands to paste: the path quoted for the shell, an order's history by
    # `history` (it named `sqlite3 DB 'SELECT * FROM transitions'`, a program
    # a new user may not have, and every order's rows at once).
    database = shlex.quote(str(tracker.store.path))
    echo(f"kept: smm-tracker orders --database {database}")
    if ids:
        example = min(partial) if partial else min(ids)  # a Partial one has most to show
        echo(f"      smm-tracker history {example} --database {database}")
    echo("      (alerts, balance, refills, report and dashboard take --database too)")

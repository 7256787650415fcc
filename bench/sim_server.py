"""The simulated panel in its own process, so the tracker's CPU and RSS are its own.

Started by the benchmark driver as ``python -m bench.sim_server --latency S``.
It prints one JSON line ``{"url": ...}`` once it is listening, then answers
commands on stdin, one JSON object per line, each with one JSON line:

    {"cmd": "seed", "n": 1000, "status": "In progress"}  -> {"first": ID, "last": ID}
    {"cmd": "calls"}   -> {"status": calls, "ids": [per call], "times": [monotonic]}
    {"cmd": "reset"}   -> {}
    {"cmd": "pin", "first": ID, "last": ID, "status": "In progress"} -> {}

It stops when stdin closes. The API key comes from ``$BENCH_PANEL_KEY`` so it
never appears on a command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from tracker.sim.faults import Reply
from tracker.sim.server import PanelServer, SimulatedPanel


class TimedPanel(SimulatedPanel):
    """A simulated panel that also notes when each status call arrived."""

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.status_times: list[float] = []
        self._times_lock = threading.Lock()

    def answer(self, form: Mapping[str, str]) -> Reply:
        if form.get("action") == "status":
            with self._times_lock:
                self.status_times.append(time.monotonic())
        return super().answer(form)


def handle(panel: TimedPanel, command: dict[str, Any]) -> dict[str, Any]:
    """Given one command, act on the panel and return the answer to print."""
    name = command.get("cmd")
    if name == "seed":
        ids = panel.seed_orders(int(command["n"]), status=command.get("status"))
        return {"first": ids[0], "last": ids[-1]} if ids else {}
    if name == "calls":
        with panel._times_lock:
            times = list(panel.status_times)
        return {
            "status": panel.calls["status"],
            "ids": list(panel.ids_per_call),
            "times": times,
        }
    if name == "pin":
        ids = range(int(command["first"]), int(command["last"]) + 1)
        panel.pin_orders(ids, str(command["status"]))
        return {}
    if name == "reset":
        panel.reset_counters()
        with panel._times_lock:
            panel.status_times.clear()
        return {}
    return {"error": f"unknown command {name!r}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--latency-from-arrival",
        action="store_true",
        help="work out each answer first, send it latency after the request arrived",
    )
    args = parser.parse_args(argv)
    key = os.environ.get("BENCH_PANEL_KEY", "")
    if not key:
        sys.exit("bench.sim_server: set BENCH_PANEL_KEY")
    # quirks on: numbers as strings or numbers, varied spellings — the tracker
    # pays for parsing what real panels send, not a tidy best case.
    panel = TimedPanel(key=key, latency=args.latency, seed=args.seed, quirks=True)
    with PanelServer(panel, latency_from_arrival=args.latency_from_arrival) as server:
        print(json.dumps({"url": server.url}), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(handle(panel, json.loads(line))), flush=True)


if __name__ == "__main__":
    main()

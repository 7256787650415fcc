"""One measured poll cycle, in a process of its own.

Run by the benchmark driver as ``python -m bench.cycle --config PATH``. It
wires the tracker exactly as the daemon does (:class:`tracker.jobs.tracker.Tracker`:
store, panel client, shared rate limiter), runs one status poll of the
panel and prints one JSON line: wall and CPU seconds of the poll, the
process's peak RSS, and what the poll did. The process is fresh, so its peak
RSS is the tracker's alone (the simulated panel runs in another process).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import tracker.service.mainloop  # noqa: F401  (the daemon's modules count in its RSS)
from tracker.clock import Clock, utcnow
from tracker.config.load import load_config
from tracker.jobs.poll import poll_panel
from tracker.jobs.tracker import Tracker
from tracker.service.logs import configure as configure_logging


def shifted_clock(at: datetime | None) -> Clock:
    """Given the instant the cycle should start at (None: now), return a running clock."""
    if at is None:
        return utcnow
    offset = at - utcnow()

    def clock() -> datetime:
        return utcnow() + offset

    return clock


def peak_rss_mb() -> float:
    """Return this process's own peak RSS (VmHWM): ``ru_maxrss`` would also
    hold the peak of the driver it was started from (see :mod:`bench.peak`)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run and measure one status poll.")
    parser.add_argument("--config", required=True)
    parser.add_argument("--all", action="store_true", help="every open order, due or not")
    parser.add_argument("--at", help="ISO time the cycle starts at (default: now)")
    args = parser.parse_args(argv)
    at = datetime.fromisoformat(args.at).astimezone(UTC) if args.at else None
    configure_logging("warning", "json")
    config = load_config(args.config)
    tracker = Tracker(config, clock=shifted_clock(at))
    panel = config.panels[0].name
    try:
        cpu, wall = cpu_seconds(), time.perf_counter()
        result = poll_panel(
            tracker.store,
            tracker.clients[panel],
            clock=tracker.clock,
            cadence=tracker.cadence,
            everything=args.all,
            stop_event=tracker.stop_event,
        )
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    finally:
        tracker.close()
    print(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mb": peak_rss_mb(),
                "calls": result.calls,
                "checked": result.checked,
                "transitions": result.transitions,
                "errors": result.errors[:5],
            }
        )
    )


if __name__ == "__main__":
    main()

"""``python -m bench``: poll cycles over 10k/100k (and 1M) orders, measured.

For each size N: start the simulated panel in its own process with a fixed
latency per request, seed N open orders there (pinned at Pending, Processing
and In progress, so every one stays open), track them in a fresh database,
then run, each in a fresh process (:mod:`bench.cycle`):

- ``full``: every order due and never seen (``run --once --all`` on a new
  backlog): N first-sight transitions written;
- ``mature``: the same backlog aged by :mod:`bench.aging` as if tracked
  evenly over the last week; only what adaptive polling says is due;

then time the read commands on that database. Optionally (``--rate-limit``)
a full cycle of a smaller backlog under ``requests_per_minute``, checked
against the request times the panel itself saw.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, yardsticks
from bench.aging import age_backlog
from bench.commands import child_env, time_commands
from bench.simproc import SimProcess
from tracker.clock import utcnow
from tracker.panel.ratelimit import HEADROOM
from tracker.rules.transitions import Cadence
from tracker.store.orders import Store

PANEL = "bench"
STATUSES = ("Pending", "Processing", "In progress")
CADENCE = Cadence(every=300, max_every=3600)  # the config's defaults: 5 min, 1 h


def write_config(
    workdir: Path,
    url: str,
    *,
    concurrency: int,
    rpm: int = 0,
    level: str = "warning",
    name: str = "tracker.toml",
) -> Path:
    """Write a tracker.toml for the bench panel; return its path."""
    path = workdir / name
    path.write_text(
        f"""
[database]
path = "tracker.db"
[[panels]]
name = "{PANEL}"
url = "{url}"
key_env = "BENCH_PANEL_KEY"
timeout = "30s"
max_batch = 100
concurrency = {concurrency}
requests_per_minute = {rpm}
[schedule]
status_every = "{int(CADENCE.every)}s"
status_max_every = "{int(CADENCE.max_every)}s"
[logging]
level = "{level}"
format = "json"
"""
    )
    return path


def track(db: Path, ids: list[range]) -> int:
    """Track every ID in ``ids``, 50k per transaction; return how many."""
    store = Store(db)
    total = 0
    try:
        for block in ids:
            for start in range(block.start, block.stop, 50_000):
                chunk = list(range(start, min(start + 50_000, block.stop)))
                total += store.track(PANEL, chunk, utcnow())
    finally:
        store.close()
    return total


def run_cycle(
    config: Path, key: str, *, everything: bool, at: datetime | None = None
) -> dict[str, Any]:
    """Run one measured poll in a fresh process; return its JSON line."""
    command = [sys.executable, "-m", "bench.cycle", "--config", str(config)]
    if everything:
        command.append("--all")
    if at is not None:
        command += ["--at", at.isoformat()]
    done = subprocess.run(
        command,
        env=child_env(key),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.cycle failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def summarise(
    name: str,
    n: int,
    poll: dict[str, Any],
    seen: dict[str, Any],
    db: Path,
    latency: float,
    conc: int,
) -> dict[str, Any]:
    """Given a cycle's own figures and the panel's count, return one result row."""
    calls = seen["status"]
    checked = poll["checked"]
    ideal = calls * latency / conc
    return {
        "orders": n,
        "cycle": name,
        "checked": checked,
        "calls": calls,
        "floor": math.ceil(checked / 100),
        "ids_per_call_max": max(seen["ids"], default=0),
        "calls_per_order": calls / n,
        "wall_s": poll["wall_s"],
        "ideal_s": ideal,
        "wall_ratio": poll["wall_s"] / ideal if ideal else None,
        "cpu_s": poll["cpu_s"],
        # µs per order is ms per 1,000 orders; per order checked, for both cycles
        "cpu_ms_per_1000": poll["cpu_s"] / max(checked, 1) * 1e6,
        "cpu_ms_per_1000_tracked": poll["cpu_s"] / n * 1e6,
        "peak_rss_mb": poll["peak_rss_mb"],
        "db_mb": db.stat().st_size / 1e6,
        "transitions": poll["transitions"],
        "transitions_per_s": poll["transitions"] / poll["wall_s"] if poll["wall_s"] else 0.0,
        "errors": poll["errors"],
    }


def measure_bare(
    sim: SimProcess, key: str, ids: list[range], db: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Measure the yardsticks of a full cycle: the bare client's wall on the same
    panel now, and (on a copy of the database as it is before the cycle) the
    bare pipeline's CPU once the cycle has run."""
    bodies = db.with_name("bare-answers.jsonl")
    before = db.with_name("bare.db")
    shutil.copyfile(db, before)
    client = yardsticks.bare_client(sim.url, key, ids, concurrency=args.concurrency, out=bodies)
    return {"client": client, "bodies": bodies, "db": before}


def versus_bare(row: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    """Given a full cycle's row and :func:`measure_bare`'s, return the ratio columns."""
    try:
        pipeline = yardsticks.bare_pipeline(bare["db"], bare["bodies"], PANEL)
    finally:
        bare["bodies"].unlink(missing_ok=True)
    client_wall = bare["client"]["wall_s"]
    return {
        "bare_wall_s": client_wall,
        "wall_vs_bare": row["wall_s"] / client_wall if client_wall else None,
        "bare_cpu_us_per_order": pipeline["cpu_s"] / max(pipeline["rows"], 1) * 1e6,
        "cpu_vs_bare": row["cpu_s"] / pipeline["cpu_s"] if pipeline["cpu_s"] else None,
    }


def bench_size(n: int, args: argparse.Namespace, workroot: Path) -> dict[str, Any]:
    """Run the full and mature cycles for ``n`` orders; return their rows and command times."""
    key = secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix=f"n{n}-", dir=workroot))
    db = workdir / "tracker.db"
    print(f"-- {n:,} orders (work dir {workdir})", flush=True)
    with SimProcess(latency=args.latency, key=key) as sim:
        shares = [n // 3 + (1 if i < n % 3 else 0) for i in range(3)]
        ids = [sim.seed(share, status) for share, status in zip(shares, STATUSES, strict=True)]
        config = write_config(workdir, sim.url, concurrency=args.concurrency)
        track(db, ids)
        rows = []
        bare = measure_bare(sim, key, ids, db, args)
        sim.reset()
        full = run_cycle(config, key, everything=True)
        rows.append(summarise("full", n, full, sim.calls(), db, args.latency, args.concurrency))
        rows[-1].update(versus_bare(rows[-1], bare))
        print(report.cycle_table(rows[-1:]), flush=True)
        now = datetime.now(UTC).replace(microsecond=0)
        aged = age_backlog(db, PANEL, now, CADENCE, days=args.days)
        sim.reset()
        mature = run_cycle(config, key, everything=False, at=now)
        row = summarise("mature", n, mature, sim.calls(), db, args.latency, args.concurrency)
        row["aged"] = aged
        rows.append(row)
        print(report.cycle_table(rows[-1:]), flush=True)
        middle = ids[1][len(ids[1]) // 2]
        commands = time_commands(config, db, PANEL, middle, key)
        print(json.dumps(commands), flush=True)
    if not args.keep:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()
    return {"cycles": rows, "commands": commands}


def bench_rate_limit(args: argparse.Namespace, workroot: Path) -> dict[str, Any]:
    """Run a full cycle under requests_per_minute; return what the panel saw."""
    n, rpm = args.rate_limit_orders, args.rate_limit
    key = secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="rate-", dir=workroot))
    print(f"-- rate limit: {n:,} orders at requests_per_minute = {rpm}", flush=True)
    with SimProcess(latency=args.latency, key=key) as sim:
        ids = [sim.seed(n, "In progress")]
        config = write_config(workdir, sim.url, concurrency=args.concurrency, rpm=rpm)
        track(workdir / "tracker.db", ids)
        sim.reset()
        poll = run_cycle(config, key, everything=True)
        seen = sim.calls()
    times = sorted(seen["times"])
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    busiest = max(sum(1 for t in times if start <= t < start + 60) for start in times)
    result = {
        "orders": n,
        "requests_per_minute": rpm,
        "calls": seen["status"],
        "wall_s": poll["wall_s"],
        "observed_per_minute": (len(times) - 1) / span * 60 if span else None,
        "min_gap_s": min(gaps, default=None),
        "limiter_gap_s": 60 / rpm * HEADROOM,
        "busiest_60s_window": busiest,
        "errors": poll["errors"],
    }
    print(json.dumps(result), flush=True)
    if not args.keep:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated order counts")
    parser.add_argument("--million", action="store_true", help="add 1,000,000 orders")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--days", type=float, default=7.0, help="age of the mature backlog")
    # 120/minute is a limit panels really set; 13k orders make 130 calls, just
    # over a minute of them, so the busiest 60-second window means something.
    parser.add_argument("--rate-limit", type=int, default=120, help="rpm of the limit run; 0: none")
    parser.add_argument("--rate-limit-orders", type=int, default=13_000)
    report.add_out(parser)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.million and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    args.out.mkdir(parents=True, exist_ok=True)
    workroot = Path(tempfile.mkdtemp(prefix="work-", dir=args.out))
    results: dict[str, Any] = {
        "machine": report.machine(),
        "settings": {
            "latency_s": args.latency,
            "concurrency": args.concurrency,
            "max_batch": 100,
            "status_every_s": CADENCE.every,
            "status_max_every_s": CADENCE.max_every,
            "mature_backlog_days": args.days,
        },
        "cycles": [],
        "commands": {},
    }
    for n in sizes:
        outcome = bench_size(n, args, workroot)
        results["cycles"] += outcome["cycles"]
        results["commands"][str(n)] = outcome["commands"]
    if args.rate_limit:
        results["rate_limit"] = bench_rate_limit(args, workroot)
    if not args.keep:
        workroot.rmdir()
    print()
    print(report.cycle_table(results["cycles"]))
    print()
    results["verdicts"] = report.verdicts(results)
    print("\n".join(results["verdicts"]))
    print(f"\nJSON: {report.write(results, args.out)}")

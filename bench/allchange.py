"""``python -m bench.allchange``: the write path when every order changes (issue #15).

For each size N: seed N orders on the simulated panel pinned at Pending, track
them in a fresh database, then at each concurrency C run ``smm-tracker run
--once --all`` as a user would, each a fresh process, measured whole:

- ``first sight``: every order never seen (N first transitions, C of the first);
- ``no change``: the panel says what it said last time (today's workload: the
  writer only moves next checks);
- ``all change``: every order re-pinned (Pending/Processing <-> In progress)
  just before, so every status and every ``remains`` changes: N transitions.

Each row gives the process's wall against the ideal (status calls x latency
/ C), its CPU (user + system, start-up and every job included) per order, and,
from the poll's own ``poll_done`` log line, the poll's wall, the process's CPU
during the poll and the writer's time per order (the time the poll thread
spends storing answers). The rest of the process CPU is start-up and the
other jobs ``run --once`` runs (the automation job's stall watch judges every
open order).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.commands import child_env, tracker_command
from bench.driver import track, write_config
from bench.simproc import SimProcess
from tracker.cli.render import table as render_table

# Targets from issue #15 (all change, 20k orders, 50 ms): wall/ideal by concurrency.
WALL_RATIO_MAX = {4: 1.2, 8: 1.3}
CPU_US_PER_ORDER_MAX = 50.0
TARGET_ORDERS = 20_000

# Each all-change run moves every order to the other side of this pair, so
# both its status and its remains change (In progress has half delivered).
FLIP = {"Pending": "In progress", "In progress": "Processing", "Processing": "In progress"}


def run_once(config: Path, key: str) -> dict[str, Any]:
    """Run ``smm-tracker run --once --all`` in its own process; return its wall,
    CPU seconds and peak RSS (the whole process, start-up included) and its
    poll_done log line."""
    command = [*tracker_command(), "--config", str(config), "run", "--once", "--all"]
    env = child_env(key)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        log = err.read()
    if child.returncode != 0:
        raise RuntimeError(f"run --once failed ({child.returncode}):\n{log[-3000:]}")
    poll = next((e for e in map(_json, log.splitlines()) if e.get("event") == "poll_done"), {})
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "poll": poll,
    }


def _json(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def row(
    workload: str, n: int, conc: int, latency: float, run: dict[str, Any], seen: dict[str, Any]
) -> dict[str, Any]:
    """Given one measured run and the calls the panel saw, return its result row."""
    poll = run["poll"]
    checked = int(poll.get("checked", 0))
    ideal = seen["status"] * latency / conc
    write_s = poll.get("write_s")
    return {
        "workload": workload,
        "orders": n,
        "concurrency": conc,
        "checked": checked,
        "transitions": poll.get("transitions"),
        "calls": seen["status"],
        "ideal_s": ideal,
        "wall_s": run["wall_s"],
        "wall_ratio": run["wall_s"] / ideal if ideal else None,
        "poll_wall_s": poll.get("wall_s"),
        "poll_ratio": poll["wall_s"] / ideal if ideal and "wall_s" in poll else None,
        "cpu_s": run["cpu_s"],
        "cpu_us_per_order": run["cpu_s"] / max(checked, 1) * 1e6,
        "poll_cpu_us_per_order": poll["cpu_s"] / max(checked, 1) * 1e6 if "cpu_s" in poll else None,
        "peak_rss_mb": run["peak_rss_mb"],
        "write_s": write_s,
        "write_us_per_order": write_s / max(checked, 1) * 1e6 if write_s is not None else None,
        "errors": poll.get("errors"),
    }


def bench_size(
    n: int, concurrencies: list[int], latency: float, workroot: Path
) -> list[dict[str, Any]]:
    """Run the three workloads for ``n`` orders at each concurrency; return their rows."""
    key = secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix=f"allchange-n{n}-", dir=workroot))
    print(f"-- all change: {n:,} orders (work dir {workdir})", flush=True)
    rows = []
    with SimProcess(latency=latency, key=key) as sim:
        ids = sim.seed(n, "Pending")
        configs = {
            c: write_config(
                workdir, sim.url, concurrency=c, level="info", name=f"tracker-c{c}.toml"
            )
            for c in concurrencies
        }
        track(workdir / "tracker.db", [ids])
        status = "Pending"

        def measure(workload: str, conc: int) -> None:
            sim.reset()
            run = run_once(configs[conc], key)
            rows.append(row(workload, n, conc, latency, run, sim.calls()))
            print(table(rows[-1:]), flush=True)

        measure("first sight", concurrencies[0])
        for conc in concurrencies:
            measure("no change", conc)
            status = FLIP[status]
            sim.pin(ids, status)
            measure("all change", conc)
    for path in workdir.iterdir():
        path.unlink()
    workdir.rmdir()
    return rows


COLUMNS = [
    ("workload", "WORKLOAD"),
    ("orders", "ORDERS"),
    ("concurrency", "CONC"),
    ("transitions", "TRANS"),
    ("calls", "CALLS"),
    ("ideal_s", "IDEAL s"),
    ("wall_s", "WALL s"),
    ("wall_ratio", "WALL/IDEAL"),
    ("poll_ratio", "POLL/IDEAL"),
    ("cpu_us_per_order", "CPU us/order"),
    ("poll_cpu_us_per_order", "POLL CPU us/order"),
    ("write_us_per_order", "WRITER us/order"),
    ("peak_rss_mb", "PEAK RSS MB"),
]


def table(rows: list[dict[str, Any]]) -> str:
    shown = [{k: _short(v) for k, v in r.items()} for r in rows]
    return render_table(shown, [c for c, _ in COLUMNS], [h for _, h in COLUMNS])


def _short(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3) if value < 10 else round(value, 1)
    return value


def check(what: str, value: float, target: float, unit: str = "") -> str:
    """Return "met"/"MISSED" for ``value <= target``, with the margin."""
    if value <= target:
        return f"met     {what}: {_short(value)}{unit} (<= {target}{unit})"
    over = (value - target) / target * 100
    return f"MISSED  {what}: {_short(value)}{unit} (<= {target}{unit}; {over:+.0f}%)"


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """Return one line per issue #15 target: met or missed, and by how much."""
    lines = []
    for r in rows:
        if r["workload"] != "all change" or r["orders"] != TARGET_ORDERS:
            continue
        what = f"all change {r['orders']:,} at concurrency {r['concurrency']}"
        limit = WALL_RATIO_MAX.get(r["concurrency"])
        if limit is not None:
            lines.append(check(f"{what}: wall/ideal", r["wall_ratio"], limit, "x"))
        if r["concurrency"] == 4:
            lines.append(
                check(f"{what}: CPU us/order", r["cpu_us_per_order"], CPU_US_PER_ORDER_MAX)
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.allchange", description=__doc__)
    parser.add_argument("--sizes", default="20000,100000", help="comma-separated order counts")
    parser.add_argument("--concurrency", default="4,8", help="comma-separated concurrencies")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    workroot = Path(tempfile.mkdtemp(prefix="work-", dir=args.out))
    results: dict[str, Any] = {
        "machine": report.machine(),
        "settings": {"latency_s": args.latency, "max_batch": 100, "concurrency": concurrencies},
        "all_change": [],
    }
    for n in sizes:
        results["all_change"] += bench_size(n, concurrencies, args.latency, workroot)
    workroot.rmdir()
    print()
    print(table(results["all_change"]))
    print()
    results["verdicts"] = verdicts(results["all_change"])
    print("\n".join(results["verdicts"]))
    stamp = results["machine"]["date"].replace(":", "").replace("-", "")
    path = args.out / f"allchange-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()

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

The host's speed drifts (a shared VM), so every all-change row also carries
its **floor, measured just before it on the same panel state**: the start of
an interpreter that imports the libraries every poll needs (httpx, click,
structlog, tenacity), the same status calls sent by a bare threaded httpx
client (:func:`bench.yardsticks.bare_client`, its CPU), and those answers
decoded and written by the bare json + sqlite3 pipeline
(:func:`bench.yardsticks.bare_pipeline`). ``CPU/FLOOR`` is the process's CPU
over their sum: the cost of everything the tracker does beyond moving the
bytes. ``POLL/BARE`` is the poll's wall over the bare client's on the same
calls: the pace the panel (sharing this machine's cores) allows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import report, yardsticks
from bench.commands import child_env, tracker_command
from bench.driver import PANEL, track, write_config
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
    poll_done log line. Started from :mod:`bench.peak`, so its peak RSS is
    its own, not this driver's."""
    command = [*tracker_command(), "--config", str(config), "run", "--once", "--all"]
    env = child_env(key)
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r") as figures,
    ):
        launcher = [sys.executable, "-m", "bench.peak", figures.name, "--", *command]
        returncode = subprocess.call(launcher, env=env, stdout=out, stderr=err, text=True)
        err.seek(0)
        log = err.read()
        measured = json.loads(figures.read() or "{}")
    if returncode != 0 or not measured:
        raise RuntimeError(f"run --once failed ({returncode}):\n{log[-3000:]}")
    events = [e for e in map(_json, log.splitlines()) if e]
    poll = next((e for e in events if e.get("event") == "poll_done"), {})
    return {**measured, "poll": poll, "log_lines": len(events)}


# What a `run --once` cannot start without (its CLI, HTTP, logging, retries).
LIBRARIES = "import click, httpx, structlog, tenacity"


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def floor(sim: SimProcess, ids: range, conc: int, db: Path, key: str) -> dict[str, Any]:
    """Measure the all-change floor on the panel's current state: the library
    imports (best of 3 fresh interpreters), the bare client's CPU for the same
    calls, and the bare pipeline's CPU writing their answers into a copy of
    ``db``; return CPU seconds of each."""
    imports = []
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", LIBRARIES])
        _, _, usage = os.wait4(child.pid, 0)
        imports.append(usage.ru_utime + usage.ru_stime)
    bodies, copy = db.with_name("floor-bodies.jsonl"), db.with_name("floor.db")
    shutil.copy(db, copy)
    started, panel_started = _cpu_self(), sim.cpu_s()
    client = yardsticks.bare_client(sim.url, key, [ids], concurrency=conc, out=bodies)
    client_cpu, panel_cpu = _cpu_self() - started, sim.cpu_s() - panel_started
    pipeline = yardsticks.bare_pipeline(copy, bodies, PANEL)
    bodies.unlink()
    return {
        "imports_s": min(imports),
        "client_s": client_cpu,
        "client_wall_s": client["wall_s"],
        # The simulated panel's own CPU answering the bare client's calls.
        "client_panel_ms_per_call": panel_cpu / max(client["calls"], 1) * 1000,
        "pipeline_s": pipeline["cpu_s"],
        "floor_s": min(imports) + client_cpu + pipeline["cpu_s"],
    }


def _json(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def row(
    workload: str,
    n: int,
    conc: int,
    latency: float,
    run: dict[str, Any],
    seen: dict[str, Any],
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Given one measured run, the calls the panel saw and the floor measured
    before it (all change only), return its result row."""
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
        # The simulated panel's CPU per call of this run (every action it was asked).
        "panel_ms_per_call": run["panel_cpu_s"] / max(seen["status"], 1) * 1000
        if "panel_cpu_s" in run
        else None,
        "write_s": write_s,
        "write_us_per_order": write_s / max(checked, 1) * 1e6 if write_s is not None else None,
        "errors": poll.get("errors"),
        "log_lines": run.get("log_lines"),  # at debug: what the run logged
        "floor": base,
        "floor_us_per_order": base["floor_s"] / max(checked, 1) * 1e6 if base else None,
        "cpu_floor_ratio": run["cpu_s"] / base["floor_s"] if base else None,
        # The bare client's wall on the same calls: the pace this panel allows.
        "poll_client_ratio": poll["wall_s"] / base["client_wall_s"]
        if base and "wall_s" in poll
        else None,
    }


def bench_size(
    n: int, concurrencies: list[int], latency: float, workroot: Path, work_inside: bool = True
) -> list[dict[str, Any]]:
    """Run the three workloads for ``n`` orders at each concurrency; return their
    rows. ``work_inside``: the simulated panel's own work counts inside its
    latency (see ``--panel-work``)."""
    key = secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix=f"allchange-n{n}-", dir=workroot))
    print(f"-- all change: {n:,} orders (work dir {workdir})", flush=True)
    rows = []
    with SimProcess(latency=latency, key=key, latency_from_arrival=work_inside) as sim:
        ids = sim.seed(n, "Pending")
        # At debug: the no-change poll's poll_done (the figures read) is a
        # debug line, a poll that changed nothing saying nothing new; a run
        # logs ~16 lines at debug, as at info.
        configs = {
            c: write_config(
                workdir, sim.url, concurrency=c, level="debug", name=f"tracker-c{c}.toml"
            )
            for c in concurrencies
        }
        track(workdir / "tracker.db", [ids])
        status = "Pending"

        def measure(workload: str, conc: int) -> None:
            base = (
                floor(sim, ids, conc, workdir / "tracker.db", key)
                if workload == "all change"
                else None
            )
            sim.reset()
            panel_started = sim.cpu_s()
            run = run_once(configs[conc], key)
            run["panel_cpu_s"] = sim.cpu_s() - panel_started
            rows.append(row(workload, n, conc, latency, run, sim.calls(), base))
            rows[-1]["panel_work"] = "inside" if work_inside else "after"
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
    ("floor_us_per_order", "FLOOR us/order"),
    ("cpu_floor_ratio", "CPU/FLOOR"),
    ("poll_client_ratio", "POLL/BARE"),
    ("panel_ms_per_call", "PANEL CPU ms/call"),
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


def latency_ms(r: dict[str, Any]) -> float:
    return float(r["ideal_s"] * r["concurrency"] / max(r["calls"], 1) * 1000)


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
            if r["floor"]:
                f = r["floor"]
                lines.append(
                    f"info    {what}: CPU {_short(r['cpu_floor_ratio'])}x its floor of "
                    f"{_short(r['floor_us_per_order'])} us/order (imports "
                    f"{f['imports_s'] * 1000:.0f} ms, bare client {f['client_s'] * 1000:.0f} ms, "
                    f"bare pipeline {f['pipeline_s'] * 1000:.0f} ms)"
                )
            if r["floor"] and r.get("panel_ms_per_call") is not None:
                lines.append(
                    f"info    {what}: the simulated panel (one process, on these cores) "
                    f"spent {_short(r['panel_ms_per_call'])} ms CPU per status call "
                    f"({_short(r['floor']['client_panel_ms_per_call'])} ms for the bare "
                    f"client's): {r['concurrency']} calls in flight take "
                    f"~{_short(r['panel_ms_per_call'] * r['concurrency'])} ms of it per "
                    f"{_short(latency_ms(r))} ms round, "
                    + (
                        "inside the latency (--panel-work inside)"
                        if r.get("panel_work") == "inside"
                        else "on top of the latency, a wait the ideal leaves out"
                    )
                )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.allchange", description=__doc__)
    parser.add_argument("--sizes", default="20000,100000", help="comma-separated order counts")
    parser.add_argument("--concurrency", default="4,8", help="comma-separated concurrencies")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    report.add_out(parser)
    parser.add_argument(
        "--panel-work",
        choices=("inside", "after"),
        default="inside",
        help="the simulated panel answers `latency` after each request arrived, its own "
        "work inside it (inside: the panel the ideal assumes), or sleeps `latency` and then "
        "works the answer out (after: the bench before 2026-12-02)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    workroot = Path(tempfile.mkdtemp(prefix="work-", dir=args.out))
    results: dict[str, Any] = {
        "machine": report.machine(),
        "settings": {
            "latency_s": args.latency,
            "max_batch": 100,
            "concurrency": concurrencies,
            "panel_work": args.panel_work,
        },
        "all_change": [],
    }
    for n in sizes:
        results["all_change"] += bench_size(
            n, concurrencies, args.latency, workroot, args.panel_work == "inside"
        )
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

"""The benchmark's results: the machine, a text table, and a JSON file."""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker.cli.render import table

# Targets, as ratios to yardsticks measured in the same run (bench/yardsticks.py):
# absolute times differ from one machine of a kind to the next, ratios travel.
WALL_VS_BARE_MAX = 1.2  # a full cycle's wall / the bare client's on the same calls
CPU_VS_BARE_MAX = 6.0  # a full cycle's CPU / the bare json + sqlite3 pipeline's
VERSION_VS_PYTHON_MAX = 3.0  # `smm-tracker --version` / `python -c pass`
COMMAND_VS_PYTHON_MAX = 5.0  # `orders`, `history` / `python -c pass`
RSS_MB_MAX = {100_000: 80.0, 1_000_000: 150.0}  # memory does not vary by machine


def machine() -> dict[str, Any]:
    """Return what the figures depend on: kernel, cores, CPU model, Python, SQLite."""
    import sqlite3

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "uname": " ".join(platform.uname()),
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


CYCLE_COLUMNS = [
    ("orders", "ORDERS"),
    ("cycle", "CYCLE"),
    ("checked", "CHECKED"),
    ("calls", "CALLS"),
    ("floor", "CEIL(/100)"),
    ("calls_per_order", "CALLS/ORDER"),
    ("wall_s", "WALL s"),
    ("ideal_s", "IDEAL s"),
    ("wall_ratio", "WALL/IDEAL"),
    ("wall_vs_bare", "WALL/BARE"),
    ("cpu_ms_per_1000", "CPU µs/order"),
    ("cpu_vs_bare", "CPU/BARE"),
    ("peak_rss_mb", "PEAK RSS MB"),
    ("db_mb", "DB MB"),
    ("transitions_per_s", "TRANS/s"),
]


def cycle_table(cycles: list[dict[str, Any]]) -> str:
    rows = [{k: _short(v) for k, v in cycle.items()} for cycle in cycles]
    return table(rows, [c for c, _ in CYCLE_COLUMNS], [h for _, h in CYCLE_COLUMNS])


def _short(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3) if value < 10 else round(value, 1)
    return value


def verdicts(results: dict[str, Any]) -> list[str]:
    """Given the results, return one line per target: met or missed, and by how much."""
    lines = []
    for cycle in results["cycles"]:
        if cycle["cycle"] != "full":
            continue
        n = cycle["orders"]
        lines.append(_check(f"{n:,} calls = ceil(N/100)", cycle["calls"], cycle["floor"], "=="))
        if cycle.get("wall_vs_bare") is not None:
            lines.append(
                _check(
                    f"{n:,} wall / bare client", cycle["wall_vs_bare"], WALL_VS_BARE_MAX, "<=", "x"
                )
            )
        if cycle.get("cpu_vs_bare") is not None:
            lines.append(
                _check(
                    f"{n:,} CPU / bare pipeline", cycle["cpu_vs_bare"], CPU_VS_BARE_MAX, "<=", "x"
                )
            )
        if n in RSS_MB_MAX:
            lines.append(_check(f"{n:,} peak RSS MB", cycle["peak_rss_mb"], RSS_MB_MAX[n], "<="))
    limited = results.get("rate_limit")
    if limited:
        lines.append(
            _check(
                f"rate limit: requests in the busiest 60 s at the panel "
                f"({limited['calls']} calls in {limited['wall_s']:.0f} s)",
                limited["busiest_60s_window"],
                limited["requests_per_minute"],
                "<=",
            )
        )
    for n, timings in results.get("commands", {}).items():
        python = timings.get("python -c pass")
        if not python:
            continue
        for name, ms in timings.items():
            if name == "startup (--version)":
                lines.append(
                    _check(
                        "`--version` / `python -c pass`",
                        ms / python,
                        VERSION_VS_PYTHON_MAX,
                        "<=",
                        "x",
                    )
                )
            elif name.startswith(("orders", "history")):
                lines.append(
                    _check(
                        f"{int(n):,} `{name}` / `python -c pass`",
                        ms / python,
                        COMMAND_VS_PYTHON_MAX,
                        "<=",
                        "x",
                    )
                )
    return lines


def _check(what: str, value: float, target: float, op: str, unit: str = "") -> str:
    met = value == target if op == "==" else value <= target
    if met:
        return f"met     {what}: {_short(value)}{unit} ({op} {target}{unit})"
    over = (value - target) / target * 100 if target else float("inf")
    return f"MISSED  {what}: {_short(value)}{unit} ({op} {target}{unit}; {over:+.0f}%)"


def add_out(parser: argparse.ArgumentParser) -> None:
    """Give a bench command its ``--out DIR`` (see :func:`out_dir`)."""
    parser.add_argument(
        "--out",
        type=out_dir,
        default=Path("bench/results"),
        metavar="DIR",
        help="directory for the JSON results (made if missing; default bench/results)",
    )


def out_dir(text: str) -> Path:
    """``--out``'s argparse type: a directory for the JSON results, made if
    missing; an existing file is refused in one line (exit 2), not met by a
    traceback after the whole run."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file: give a directory for the results")
    return path


def write(results: dict[str, Any], out: Path) -> Path:
    """Write the results as JSON under ``out`` (and as latest.json); return the path."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = results["machine"]["date"].replace(":", "").replace("-", "")
    path = out / f"bench-{stamp}.json"
    text = json.dumps(results, indent=2)
    path.write_text(text + "\n")
    (out / "latest.json").write_text(text + "\n")
    return path

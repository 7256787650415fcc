"""``python -m bench.dashboard_times DB``: the dashboard's pages timed as a user meets them.

Starts ``smm-tracker dashboard --database DB --port 0`` (loopback), then,
each ``--runs`` times (the best and the worst printed: the host is shared),
times over HTTP: each dashboard page (its HTML: the panel filter's options
are read then), each of its charts' query as the page's script fetches it
(``DB.json?sql=...&_shape=objects``), the whole of a page (the HTML, then
its charts all at once, as a browser loads them), the table page of each
view the dashboard reads and of the larger tables (a page saying a facet or
its count "timed out" is marked). A chart that answers an error (Datasette's time
limit) says so. Build a busy database first: ``python -m bench.busy_db``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tracker.cli.dashboard import build_metadata

VIEWS = ["service_scorecard", "daily_activity", "stuck_orders", "order_overview"]
TABLES = ["orders", "transitions", "balances", "refills", "services", "alerts"]


def get(url: str) -> tuple[float, int, str]:
    """Seconds to the whole answer of ``url``, its status and its body."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as answer:
            body = answer.read().decode()
            status = answer.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode(), exc.code
    return time.perf_counter() - started, status, body


def chart_urls(base: str, db: str, panel: str) -> dict[str, dict[str, str]]:
    """Each dashboard's charts' data URLs, by chart name, as the page's script
    builds them (the optional ``[[ ... ]]`` parts kept with a panel chosen)."""
    from datasette_dashboards import replace_opts_in_query

    boards = build_metadata(db, {})["plugins"]["datasette-dashboards"]
    chosen = {"panel": panel} if panel else {}
    return {
        board: {
            name: f"{base}/{db}.json?"
            + urllib.parse.urlencode(
                {
                    "sql": replace_opts_in_query(chart["query"], chosen),
                    **chosen,
                    "_shape": "objects",
                }
            )
            for name, chart in spec["charts"].items()
            if "query" in chart
        }
        for board, spec in boards.items()
    }


def measure(base: str, db: str, runs: int, panel: str) -> None:
    boards = chart_urls(base, db, panel)
    chosen = "?" + urllib.parse.urlencode({"panel": panel}) if panel else ""
    times: dict[str, list[float]] = {}
    notes: dict[str, str] = {}

    def timed(name: str, url: str) -> float:
        took, status, body = get(url)
        times.setdefault(name, []).append(took)
        if status != 200 or '"ok": false' in body:
            notes[name] = f"HTTP {status}: {body[:160]!r}"
        elif "timed out" in body:  # a facet past facet_time_limit_ms, a count past its limit
            said = body[body.index("timed out") - 40 : body.index("timed out") + 40]
            notes[name] = " ".join(said.split())
        return took

    for _ in range(runs):
        for board, charts in boards.items():
            started = time.perf_counter()
            timed(f"{board}: page HTML", f"{base}/-/dashboards/{board}{chosen}")
            together = [(f"{board}: {name} (with the others)", url) for name, url in charts.items()]
            with ThreadPoolExecutor(len(charts)) as pool:
                list(pool.map(lambda item: timed(*item), together))
            times.setdefault(f"{board}: WHOLE PAGE", []).append(time.perf_counter() - started)
            for name, url in charts.items():
                timed(f"{board}: {name} (alone)", url)
        for view in VIEWS:
            timed(f"view page /{view}", f"{base}/{db}/{view}")
            timed(f"view JSON /{view}.json", f"{base}/{db}/{view}.json?_shape=objects")
        for table in TABLES:
            timed(f"table page /{table}", f"{base}/{db}/{table}")
    width = max(map(len, times))
    for name, seen in times.items():
        line = f"{name:<{width}}  best {min(seen):6.3f} s  worst {max(seen):6.3f} s"
        print(line + (f"  ! {notes[name]}" if name in notes else ""))


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard_times", description=__doc__.splitlines()[0]
    )
    parser.add_argument("database", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--panel", default="", help="the Panel filter chosen (default: none)")
    args = parser.parse_args()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker",
            "dashboard",
            "--port",
            "0",
            "--database",
            str(args.database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = (
            server.stdout.readline()
        )  # "dashboard of PATH at http://HOST:PORT/-/dashboards (...)"
        base = line.split(" at ", 1)[1].split("/-/dashboards")[0]
        get(f"{base}/-/versions.json")
        measure(base, args.database.stem, args.runs, args.panel)
        print(json.dumps({"database": str(args.database), "runs": args.runs, "panel": args.panel}))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()

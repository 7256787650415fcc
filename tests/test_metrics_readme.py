"""README's metrics section against what a scrape really shows: every metric
in its table with its labels and type, and every alerting expression it
suggests naming metrics that exist, with ``rate``/``increase`` only over
counters (on a gauge that goes down, Prometheus reads a counter reset and
counts the whole value as an increase)."""

from __future__ import annotations

import re
import socket
from collections import Counter
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tracker.service.callstats import CallCounters
from tracker.service.jobstats import JobStats
from tracker.service.metrics import Snapshot, build_registry
from tracker.service.metrics_http import MetricsServer

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
SECTION = README[README.index("\n## Metrics") : README.index("\n## Performance")]
EXPRESSIONS = SECTION[SECTION.index("Alert on, for example") : SECTION.index("promtool")]
COUNTING = ("rate", "irate", "increase")


def scraped() -> dict[str, tuple[str, set[str]]]:
    """Return {sample name: (its family's type, its labels)} of a real scrape
    over loopback of a daemon that has seen every kind of number."""
    calls = CallCounters()
    calls.observe("main", "status", True, 0.2)
    calls.observe("main", "status", False, 3.0)
    calls.observe_job("status:main", 1.0, True, False)
    jobs = JobStats(
        last_ok={"status:main": 1.8e9, "balance:main": 1.8e9},
        durations={"status:main": 1.0, "balance:main": 0.1},
        runs_by_job=Counter({"status:main": 1, "balance:main": 1}),
        running={"status:main": 1.8e9},
    )
    snap = Snapshot(
        open_orders={("main", "Pending"): 2},
        balances=[("main", "USD", 10.0)],
        calls=calls,
        jobs=jobs,
        panels=("main",),
        lost_orders={"main": 1},
        deliveries={("webhook", "sent"): 1},
        undelivered={"waiting": 0, "given_up": 0},
        unpolled={"gone": 3},  # a panel taken out of the config, its open orders left
    )
    server = MetricsServer("127.0.0.1", 0, build_registry(lambda: snap))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
    finally:
        server.stop()
    found: dict[str, tuple[str, set[str]]] = {}
    for family in text_string_to_metric_families(answer.decode().split("\r\n\r\n", 1)[1]):
        for sample in family.samples:
            labels = found.get(sample.name, (family.type, set()))[1]
            found[sample.name] = (family.type, labels | set(sample.labels) - {"le"})
    return found


def test_every_metric_of_the_readme_table_is_scraped_with_its_labels():
    got = scraped()
    wrong, checked = [], []
    for row in re.findall(r"^\| (`.+?) \| (.*?) \|", SECTION, flags=re.M):
        names, labels = row
        while re.search(r"\([^()]*\)", labels):  # "target (`webhook`, ...)": the label alone
            labels = re.sub(r"\s*\([^()]*\)", "", labels)
        documented = {label for label in labels.split(", ") if label}
        for name in re.findall(r"`([a-z_*]+)`", names):
            if name.startswith(("process_", "python_")):
                continue  # prometheus_client's own
            if not name.startswith("smm_tracker_"):  # "/ `_failures_total`": read as
                wrong.append(f"{name}: not its whole name")  # api_calls_failures_total
                continue
            checked.append(name)
            histogram = "(histogram)" in names
            sample = f"{name}_count" if histogram else name
            if sample not in got:
                wrong.append(f"{name}: not scraped")
            elif name != "smm_tracker_database_readable" and got[sample][1] != documented:
                wrong.append(
                    f"{name}: labels {sorted(got[sample][1])}, README {sorted(documented)}"
                )
            elif name.endswith("_total") != (got[sample][0] == "counter"):
                wrong.append(f"{name}: a {got[sample][0]}")
    assert wrong == [] and len(checked) >= 18, checked


def test_every_suggested_alert_names_scraped_metrics_and_counts_only_counters():
    got = scraped()
    expressions = [e for e in re.findall(r"`([^`]+)`", EXPRESSIONS) if "smm_tracker_" in e]
    assert len(expressions) >= 5
    wrong = []
    for expression in expressions:
        for name in re.findall(r"\b(smm_tracker_[a-z_]+)", expression):
            if name not in got:
                wrong.append(f"{expression}: {name} is not scraped")
        for function, name in re.findall(r"\b([a-z_]+)\((smm_tracker_[a-z_]+)", expression):
            counted = got.get(name, ("", set()))[0] in ("counter", "histogram")
            if function in COUNTING and not counted:
                wrong.append(f"{expression}: {function}() of the gauge {name}")
    assert wrong == []


def test_the_paused_counters_help_says_the_refused_run_is_counted_too():
    # Its HELP said "Job runs skipped while the job's panel is paused", while
    # the run the panel refused the key to, which began the pause, is counted
    # there too (not in job_failures_total), as README's row says.
    from tracker.service.metrics import render

    jobs = JobStats(runs_by_job=Counter({"status:main": 1}))
    text = render(Snapshot(open_orders={}, balances=[], calls=CallCounters(), jobs=jobs))
    help_line = next(x for x in text.splitlines() if x.startswith("# HELP smm_tracker_job_paused"))
    assert "the run the panel refused the key to, which paused it" in help_line

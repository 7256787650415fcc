"""The metric families of the process's own work: HTTP calls to panels and
their latency, status polls, late checks of ended orders, job runs. Apart
from :mod:`tracker.service.metrics` (which builds every family a scrape
shows) to keep each module short."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from tracker.service.callstats import POLL_JOB, PREFIX, CallCounters
from tracker.service.jobstats import JobStats


def new_family(
    kind: str, name: str, help_text: str, labels: list[str] | None = None
) -> CounterMetricFamily | GaugeMetricFamily:
    if kind == "counter":
        return CounterMetricFamily(f"{PREFIX}_{name}", help_text, labels=labels or [])
    return GaugeMetricFamily(f"{PREFIX}_{name}", help_text, labels=labels or [])


def calls_families(calls: CallCounters) -> Iterator[Metric]:
    keys = sorted(set(calls.calls) | set(calls.failures))
    for name, help_text, values in (
        ("api_calls_total", "HTTP calls to panels.", calls.calls),
        (
            "api_failures_total",
            "HTTP calls that got no usable answer (timeouts, 5xx, 429, garbage).",
            calls.failures,
        ),
        ("api_call_seconds_total", "Seconds spent in HTTP calls.", calls.seconds),
    ):
        family = new_family("counter", name, help_text, ["panel", "action"])
        for panel, action in keys:
            family.add_metric([panel, action], values.get((panel, action), 0))
        yield family
    yield calls.latency.family(
        "api_call_duration_seconds",
        "How long HTTP calls to panels took, in seconds, by outcome (ok, failed).",
        ["panel", "action", "outcome"],
    )
    yield calls.polls.family(
        "poll_duration_seconds",
        "How long each status poll of a panel took, in seconds.",
        ["panel"],
    )


def late_families(calls: CallCounters, panels: tuple[str, ...]) -> Iterator[Metric]:
    """The late checks of ended orders (answered, failed) and the refunds they
    found, by panel: every configured panel's series from the start, at 0."""
    late = Counter({(p, outcome): 0 for p in panels for outcome in ("answered", "failed")})
    late.update(calls.late)
    family = new_family(
        "counter",
        "late_checks_total",
        "Late checks of ended orders (asked again for a late refund), by outcome: answered, "
        "failed (nothing stored changed).",
        ["panel", "outcome"],
    )
    for (panel, outcome), n in sorted(late.items()):
        family.add_metric([panel, outcome], n)
    yield family
    refunds = Counter({(p,): 0 for p in panels})
    refunds.update(calls.refunds)
    family = new_family(
        "counter",
        "late_refunds_total",
        "Ended orders whose charge a late check found gone down (order_refunded), by panel.",
        ["panel"],
    )
    for (panel,), n in sorted(refunds.items()):
        family.add_metric([panel], n)
    yield family


def jobs_families(jobs: JobStats) -> Iterator[Metric]:
    names = sorted(set(jobs.runs_by_job) | set(jobs.running) | set(jobs.last_ok))
    by_job: list[tuple[str, str, str, Mapping[str, float]]] = [
        ("counter", "job_runs_total", "Job runs, by job.", {n: jobs.runs_by_job[n] for n in names}),
        (
            "counter",
            "job_failures_total",
            "Job runs that failed, by job.",
            {n: jobs.failures_by_job[n] for n in names},
        ),
        (
            "counter",
            "job_paused_total",
            "Job runs skipped while the job's panel is paused (the panel refused the key), and"
            " the run the panel refused the key to, which paused it; by job.",
            {n: jobs.paused_by_job[n] for n in names},
        ),
        (
            "counter",
            "job_holds_total",
            "Job runs held on purpose, not run: refill rounds held while the panel's calls fail, "
            "by job.",
            {n: jobs.holds_by_job[n] for n in names},
        ),
        (
            "gauge",
            "job_running",
            "1 while a run of the job is in flight.",
            {n: int(n in jobs.running) for n in names},
        ),
        (
            "gauge",
            "job_last_duration_seconds",
            "How long the last finished run took, in seconds.",
            jobs.durations,
        ),
        (
            "gauge",
            "job_last_success_timestamp_seconds",
            "When the job last succeeded (Unix time).",
            jobs.last_ok,
        ),
    ]
    for kind, name, help_text, values in by_job:
        family = new_family(kind, name, help_text, ["job"])
        for job in sorted(values):
            family.add_metric([job], values[job])
        yield family
    family = new_family(
        "gauge",
        "last_poll_success_timestamp_seconds",
        "When a panel's status poll last succeeded (Unix time).",
        ["panel"],
    )
    for job in sorted(jobs.last_ok):
        if job.startswith(POLL_JOB):
            family.add_metric([job[len(POLL_JOB) :]], jobs.last_ok[job])
    yield family

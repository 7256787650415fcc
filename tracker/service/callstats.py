"""Live numbers of panel calls for the metrics: counters and latency histograms.

:class:`CallCounters` hangs on every PanelClient's observers (one HTTP call)
and on the job stats (one status poll); :mod:`tracker.service.metrics` turns
a snapshot of it into metric families at scrape time.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client.core import HistogramMetricFamily

from tracker.panel.witness import NO_SUCH_ACTION, NO_SUCH_ACTION_LABEL

if TYPE_CHECKING:  # a type only
    from tracker.jobs.poll_result import PollResult

PREFIX = "smm_tracker"
# Panel calls take tens of milliseconds to their whole-call timeout (30 s).
API_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A poll is one to thousands of calls.
POLL_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
POLL_JOB = "status:"  # the status poll's job name is "status:<panel>"


@dataclass
class Histogram:
    """Observations by label values, counted per bucket (not cumulative)."""

    bounds: tuple[float, ...]
    counts: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    sums: dict[tuple[str, ...], float] = field(default_factory=dict)

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        counts = self.counts.setdefault(labels, [0] * (len(self.bounds) + 1))
        counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sums[labels] = self.sums.get(labels, 0.0) + value

    def tables(self) -> tuple[dict[tuple[str, ...], Any], ...]:
        return (self.counts, self.sums)

    def copy(self) -> Histogram:
        return Histogram(self.bounds, {k: list(v) for k, v in self.counts.items()}, dict(self.sums))

    def family(self, name: str, help_text: str, labels: list[str]) -> HistogramMetricFamily:
        family = HistogramMetricFamily(f"{PREFIX}_{name}", help_text, labels=labels)
        for key in sorted(self.counts):
            running, buckets = 0, []
            for bound, n in zip((*self.bounds, float("inf")), self.counts[key], strict=True):
                running += n
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), running))
            family.add_metric(list(key), buckets, self.sums[key])
        return family


class CallCounters:
    """API calls by (panel, action): total, failed, seconds spent, latency; poll
    durations by panel; late checks of ended orders by (panel, outcome) and
    the refunds they found. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.failures: Counter[tuple[str, str]] = Counter()
        self.seconds: dict[tuple[str, str], float] = {}
        self.latency = Histogram(API_BUCKETS)  # by (panel, action, outcome)
        self.polls = Histogram(POLL_BUCKETS)  # by (panel,)
        self.late: Counter[tuple[str, str]] = Counter()  # late checks by (panel, outcome)
        self.refunds: Counter[tuple[str]] = Counter()  # refunds they found, by (panel,)

    def observe(
        self, panel: str, action: str, ok: bool, seconds: float, _error: str | None = None
    ) -> None:
        """A PanelClient observer: count one HTTP call (the question for the
        panel's "no such action" words as ``probe``)."""
        if action == NO_SUCH_ACTION:
            action = NO_SUCH_ACTION_LABEL
        key = (panel, action)
        with self._lock:
            self.calls[key] += 1
            if not ok:
                self.failures[key] += 1
            self.seconds[key] = self.seconds.get(key, 0.0) + seconds
            self.latency.observe((panel, action, "ok" if ok else "failed"), seconds)

    def observe_job(self, job: str, seconds: float, ok: bool, stopped: bool) -> None:
        """A JobStats observer: time each status poll that ran to its end."""
        if job.startswith(POLL_JOB) and not stopped:
            with self._lock:
                self.polls.observe((job[len(POLL_JOB) :],), seconds)

    def observe_poll(self, result: PollResult) -> None:
        """A Tracker poll listener: count its late checks of ended orders
        (answered, failed) and the refunds they found."""
        if not result.late:
            return
        with self._lock:
            self.late[(result.panel, "answered")] += result.late - result.late_failed
            self.late[(result.panel, "failed")] += result.late_failed
            self.refunds[(result.panel,)] += result.refunds

    def snapshot(self, panels: Iterable[str] | None = None) -> CallCounters:
        """Return a copy; with ``panels``, of those panels' numbers only (a
        panel a reload removed must not stay exported, frozen)."""
        copy = CallCounters()
        with self._lock:
            copy.calls = Counter(self.calls)
            copy.failures = Counter(self.failures)
            copy.seconds = dict(self.seconds)
            copy.latency = self.latency.copy()
            copy.polls = self.polls.copy()
            copy.late, copy.refunds = Counter(self.late), Counter(self.refunds)
        if panels is not None:
            kept = set(panels)
            tables: list[dict[Any, Any]] = [copy.calls, copy.failures, copy.seconds, copy.late]
            tables.append(copy.refunds)
            for table in (*tables, *copy.latency.tables(), *copy.polls.tables()):
                for key in [k for k in table if k[0] not in kept]:
                    del table[key]
        return copy

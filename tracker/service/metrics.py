"""An optional Prometheus endpoint (``[metrics] listen``) on prometheus_client.

:class:`~tracker.service.callstats.CallCounters` (the live call counters and
latency histograms) hangs on every PanelClient's observers and on the job
stats (their families: :mod:`tracker.service.metrics_runs`);
:func:`take_snapshot` reads the live numbers plus open orders and balances
on a connection of its own; :func:`families` turns a :class:`Snapshot` into
metric families (pure, tested with fixed numbers). :func:`build_registry`
puts a collector of those on a private ``CollectorRegistry`` with the
process and platform collectors;
:class:`tracker.service.metrics_http.MetricsServer` serves it.

A private registry keeps the daemon's numbers out of prometheus_client's
process-global one, so tests and reloads never collide on names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import structlog
from prometheus_client import (
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import InfoMetricFamily
from prometheus_client.metrics_core import Metric

from tracker import __version__
from tracker.alerts.deliveries import DELIVERIES
from tracker.errors import StoreError
from tracker.panel.statuses import ACTIVE, ORDER_STATUSES, PAUSED, TERMINAL, metrics_status
from tracker.rules.alerts import AUTH_FAILED
from tracker.rules.money import LABELLED_CURRENCIES, currency_key
from tracker.service.callstats import PREFIX, CallCounters, Histogram
from tracker.service.jobstats import JobStats
from tracker.service.metrics_runs import calls_families, jobs_families, late_families, new_family
from tracker.store.alerts import open_episodes
from tracker.store.orders import Store
from tracker.store.outbox import undelivered_counts
from tracker.store.readings import latest_balances, lost_counts
from tracker.store.write_waits import SLOW_WRITE, WAIT_BUCKETS, WAITS

log = structlog.get_logger("tracker.metrics")


# The ``status`` labels an open order can have: every one is shown for each
# configured panel, 0 when no order has it.
OPEN_LABELS = (
    *(s for s in ORDER_STATUSES if s not in TERMINAL),
    ACTIVE,
    PAUSED,
    "other",
    "unknown",
)


def status_label(status: str | None) -> str:
    """Given an order's stored status (None: no answer yet), return the
    ``status`` label shown for it: the normalised status, ``unknown`` for no
    answer yet, any spelling the tracker does not know (a panel's own word
    "unknown" too) folded into ``other`` so the labels stay a small set."""
    return metrics_status(status)


def currency_label(text: str | None) -> str:
    """A currency label: a known code upper-cased, as the tracker names a
    currency whatever its case (:func:`~tracker.rules.money.currency_key`:
    "usd" after "USD" stays one series), else ``other``: the label's values
    a fixed set (:data:`~tracker.rules.money.LABELLED_CURRENCIES`)."""
    code = currency_key(text)
    return code if code in LABELLED_CURRENCIES else "other"


@dataclass
class Snapshot:
    """Everything one scrape shows; ``open_orders``/``balances`` None when unreadable."""

    open_orders: dict[tuple[str, str | None], int] | None
    balances: list[tuple[str, str, float]] | None  # (panel, currency, balance)
    calls: CallCounters
    jobs: JobStats
    panels: tuple[str, ...] = ()  # configured: each gets every open status, 0 when none
    lost_orders: dict[str, int] | None = None  # given up as lost, by panel
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (target, outcome)
    undelivered: dict[str, int] | None = None  # alert deliveries kept, by state
    # Writes that waited long for the lock: by bucket of WAIT_BUCKETS, and their seconds.
    write_waits: tuple[tuple[int, ...], float] = ((0,) * (len(WAIT_BUCKETS) + 1), 0.0)
    key_refused: frozenset[str] = frozenset()  # paused for the key, or auth_failed open
    reload_failed: bool = False  # the last reload failed: the previous config runs on
    writes_failing: bool = False  # the jobs' writes fail now: store_unwritable open
    unpolled: dict[str, int] | None = None  # open orders of panels not in the config, by panel


def families(snap: Snapshot) -> list[Metric]:
    """Given a snapshot, return its metric families (the names are the interface)."""
    info = InfoMetricFamily(PREFIX, "Build information.", value={"version": __version__})
    readable = new_family("gauge", "database_readable", "1 if this scrape read the database.")
    readable.add_metric([], 0 if snap.open_orders is None else 1)
    writable = new_family(
        "gauge",
        "database_writable",
        "0 while the jobs' writes to the database fail (full, read-only, locked), else 1.",
    )
    writable.add_metric([], 0 if snap.writes_failing else 1)
    open_orders = new_family(
        "gauge", "open_orders", "Orders still polled, by panel and status.", ["panel", "status"]
    )
    counted: Counter[tuple[str, str]] = Counter()
    if snap.open_orders is not None:  # zeros too: a series must not vanish at 0
        counted.update({(panel, label): 0 for panel in snap.panels for label in OPEN_LABELS})
    for (panel, status), n in (snap.open_orders or {}).items():
        counted[(panel, status_label(status))] += n
    for key, n in sorted(counted.items()):
        open_orders.add_metric(list(key), n)
    balance = new_family(
        "gauge",
        "balance",
        "Last balance fetched from each panel, in its currency (the currency label).",
        ["panel", "currency"],
    )
    for panel, currency, amount in sorted(snap.balances or []):
        balance.add_metric([panel, currency_label(currency)], amount)
    return [
        info,
        readable,
        writable,
        open_orders,
        _lost(snap),
        _unpolled(snap),
        _key_refused(snap),
        _reload_failed(snap),
        balance,
        *calls_families(snap.calls),
        *late_families(snap.calls, snap.panels),
        *jobs_families(snap.jobs),
        _deliveries(snap.deliveries),
        _undelivered(snap),
        _write_waits(snap),
    ]


def _write_waits(snap: Snapshot) -> Metric:
    counts, seconds = snap.write_waits
    waits = Histogram(WAIT_BUCKETS, {(): list(counts)}, {(): seconds})
    return waits.family(
        "database_write_wait_seconds",
        f"Database writes that waited {SLOW_WRITE:g} s or more for the write lock (this process's "
        "connection, then SQLite's), by seconds waited; quicker writes are not counted.",
        [],
    )


def _undelivered(snap: Snapshot) -> Metric:
    family = new_family(
        "gauge",
        "alerts_undelivered",
        "Alert deliveries a target has not taken: waiting (tried again) or given_up "
        "(`alerts --undelivered`).",
        ["state"],
    )
    for state, n in sorted((snap.undelivered or {}).items()):
        family.add_metric([state], n)
    return family


def _deliveries(counts: dict[tuple[str, str], int]) -> Metric:
    family = new_family(
        "counter",
        "alert_deliveries",
        "Alerts sent, failed (after their tries: kept to be tried again unless "
        "alerts.redeliver_for = 0), given up "
        "(alerts.redeliver_for ran out) or dropped (queue full), by target.",
        ["target", "outcome"],
    )
    for (target, outcome), n in sorted(counts.items()):
        family.add_metric([target, outcome], n)
    return family


def _lost(snap: Snapshot) -> Metric:
    family = new_family(
        "gauge",
        "lost_orders",
        "Orders given up as unknown to the panel (`orders --status lost`; `track` resumes one).",
        ["panel"],
    )
    if snap.lost_orders is not None:  # every configured panel, 0 when none
        lost = {**dict.fromkeys(snap.panels, 0), **snap.lost_orders}
        for panel in sorted(lost):
            family.add_metric([panel], lost[panel])
    return family


def _unpolled(snap: Snapshot) -> Metric:
    said = "Open orders of a panel not in the config: nothing polls them (add it back, or untrack)."
    family = new_family("gauge", "unpolled_orders", said, ["panel"])
    for panel, n in sorted((snap.unpolled or {}).items()):  # a series per such panel only
        family.add_metric([panel], n)
    return family


def _key_refused(snap: Snapshot) -> Metric:
    family = new_family(
        "gauge",
        "panel_key_refused",
        "1 while the panel refuses the API key (its jobs paused, or its auth_failed open), else 0.",
        ["panel"],
    )
    for panel in sorted({*snap.panels, *snap.key_refused}):  # every configured panel
        family.add_metric([panel], int(panel in snap.key_refused))
    return family


def _reload_failed(snap: Snapshot) -> Metric:
    family = new_family(
        "gauge",
        "config_reload_failed",
        "1 while the daemon runs on its previous config, its last reload having failed, else 0.",
    )
    family.add_metric([], int(snap.reload_failed))
    return family


def take_snapshot(
    reader: Store | None,
    calls: CallCounters,
    jobs: JobStats,
    panels: Iterable[str] = (),
    paused: Iterable[str] = (),
    reload_failed: bool = False,
    writes_failing: bool = False,
) -> Snapshot:
    """Given a database reader, the live counters, the panels paused now
    for a refused key, whether the last reload failed and whether the jobs'
    writes fail now, return one scrape's numbers.

    A database that cannot be read is reported (``database_readable 0``) and
    logged; the counters are still served.
    """
    open_orders: dict[tuple[str, str | None], int] | None = None
    balances: list[tuple[str, str, float]] | None = None
    lost: dict[str, int] | None = None
    undelivered: dict[str, int] | None = None
    unpolled: dict[str, int] | None = None
    panels, refused = tuple(panels), set(paused)
    if reader is not None:
        try:
            open_orders = reader.open_counts()
            balances = latest_balances(reader)
            lost = lost_counts(reader)
            # Its auth_failed open: the key refused across a reload or a restart
            # too, whose jobs run (unpaused) until the panel refuses it again.
            refused.update(e["panel"] for e in open_episodes(reader) if e["kind"] == AUTH_FAILED)
        except StoreError as exc:
            log.warning("metrics_database_unreadable", error=str(exc))
        try:
            undelivered = undelivered_counts(reader)
        except StoreError:  # said above, or a database older than m032
            pass
    if panels:  # the configured panels only: a removed one's rows stay in the database
        if open_orders is not None:
            unpolled = {}
            for (panel, _), n in open_orders.items():
                if panel not in panels:  # a removed panel's: nothing polls them
                    unpolled[panel] = unpolled.get(panel, 0) + n
            open_orders = {k: n for k, n in open_orders.items() if k[0] in panels}
        if balances is not None:
            balances = [b for b in balances if b[0] in panels]
        if lost is not None:
            lost = {panel: n for panel, n in lost.items() if panel in panels}
        refused &= set(panels)
    counts, ran = calls.snapshot(panels or None), jobs.snapshot()
    sent, waits = DELIVERIES.snapshot(), WAITS.counts()
    found = (open_orders, balances, counts, ran, panels, lost, sent, undelivered, waits)
    return Snapshot(
        *found,
        key_refused=frozenset(refused),
        reload_failed=reload_failed,
        writes_failing=writes_failing,
        unpolled=unpolled,
    )


class _Collector:
    """A prometheus_client collector: the tracker's families, built at scrape time."""

    def __init__(self, snapshot: Callable[[], Snapshot]):
        self._snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        return families(self._snapshot())


def build_registry(snapshot: Callable[[], Snapshot], *, process: bool = True) -> CollectorRegistry:
    """Given where a scrape's numbers come from, return a private registry of
    the tracker's families (plus process and Python metrics unless told not to)."""
    registry = CollectorRegistry()
    registry.register(_Collector(snapshot))
    if process:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
    return registry


def render(snap: Snapshot) -> str:
    """Given a snapshot, return its text exposition (the tracker's families only)."""
    return generate_latest(build_registry(lambda: snap, process=False)).decode()


def collect(reader: Store | None, calls: CallCounters, jobs: JobStats) -> str:
    """Given a database reader and the live counters, return one scrape's text."""
    return render(take_snapshot(reader, calls, jobs))

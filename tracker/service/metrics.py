"""An optional Prometheus endpoint (``[metrics] listen``), standard library only.

:class:`CallCounters` hangs on every PanelClient's observers; :func:`render`
turns a :class:`Snapshot` into the text exposition format (pure, tested with
fixed numbers); :func:`collect` takes one snapshot (counters, job stats, and
open orders and balances read on a connection of its own);
:class:`MetricsServer` serves ``GET /metrics`` from a daemon thread.

No prometheus_client: a dozen gauge and counter families are ~100 lines of
text formatting, and the package would bring a registry and global state
into every test for nothing the endpoint needs.
"""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import structlog

from tracker import __version__
from tracker.errors import StoreError, TrackerError
from tracker.panel.statuses import metrics_status
from tracker.service.daemon import JobStats
from tracker.store.orders import Store
from tracker.store.readings import latest_balances

log = structlog.get_logger("tracker.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "smm_tracker"


class CallCounters:
    """API calls by (panel, action): total, failed, seconds spent. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.failures: Counter[tuple[str, str]] = Counter()
        self.seconds: dict[tuple[str, str], float] = {}

    def observe(self, panel: str, action: str, ok: bool, seconds: float) -> None:
        """A PanelClient observer: count one HTTP call."""
        key = (panel, action)
        with self._lock:
            self.calls[key] += 1
            if not ok:
                self.failures[key] += 1
            self.seconds[key] = self.seconds.get(key, 0.0) + seconds

    def snapshot(self) -> CallCounters:
        copy = CallCounters()
        with self._lock:
            copy.calls = Counter(self.calls)
            copy.failures = Counter(self.failures)
            copy.seconds = dict(self.seconds)
        return copy


@dataclass
class Snapshot:
    """Everything one scrape shows; ``open_orders``/``balances`` None when unreadable."""

    open_orders: dict[tuple[str, str], int] | None
    balances: list[tuple[str, str, float]] | None  # (panel, currency, balance)
    calls: CallCounters
    jobs: JobStats


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    inner = ",".join(f'{name}="{_escape(str(value))}"' for name, value in labels.items())
    return "{" + inner + "}" if inner else ""


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


class _Family:
    def __init__(self, lines: list[str], name: str, kind: str, help_text: str):
        self.lines, self.name = lines, f"{PREFIX}_{name}"
        lines.append(f"# HELP {self.name} {help_text}")
        lines.append(f"# TYPE {self.name} {kind}")

    def add(self, value: float, **labels: str) -> None:
        self.lines.append(f"{self.name}{_labels(**labels)} {_number(value)}")


_CURRENCY = re.compile(r"[A-Za-z0-9$€£¥₽.]{1,8}")


def _currency(text: str | None) -> str:
    """A currency label: a short code as the panel wrote it, else ``other``."""
    return text if text and _CURRENCY.fullmatch(text) else "other"


def render(snap: Snapshot) -> str:
    """Given a snapshot, return the Prometheus text exposition (ends with a newline)."""
    lines: list[str] = []
    _Family(lines, "info", "gauge", "Build information.").add(1, version=__version__)
    family = _Family(lines, "database_readable", "gauge", "1 if this scrape read the database.")
    family.add(0 if snap.open_orders is None else 1)
    family = _Family(lines, "open_orders", "gauge", "Orders still polled, by panel and status.")
    folded: Counter[tuple[str, str]] = Counter()
    for (panel, status), n in (snap.open_orders or {}).items():
        folded[(panel, metrics_status(None if status == "unknown" else status))] += n
    for (panel, status), n in sorted(folded.items()):
        family.add(n, panel=panel, status=status)
    family = _Family(lines, "balance", "gauge", "Last balance fetched from each panel.")
    for panel, currency, amount in sorted(snap.balances or []):
        family.add(amount, panel=panel, currency=_currency(currency))
    _calls(lines, snap.calls)
    _jobs(lines, snap.jobs)
    return "\n".join(lines) + "\n"


def _calls(lines: list[str], calls: CallCounters) -> None:
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
        family = _Family(lines, name, "counter", help_text)
        for panel, action in keys:
            family.add(values.get((panel, action), 0), panel=panel, action=action)


def _jobs(lines: list[str], jobs: JobStats) -> None:
    names = sorted(set(jobs.runs_by_job) | set(jobs.running) | set(jobs.last_ok))
    families: list[tuple[str, str, str, Mapping[str, float]]] = [
        ("job_runs_total", "counter", "Job runs, by job.", {n: jobs.runs_by_job[n] for n in names}),
        (
            "job_failures_total",
            "counter",
            "Job runs that failed, by job.",
            {n: jobs.failures_by_job[n] for n in names},
        ),
        (
            "job_running",
            "gauge",
            "1 while a run of the job is in flight.",
            {n: int(n in jobs.running) for n in names},
        ),
        (
            "job_last_duration_seconds",
            "gauge",
            "How long the last finished run took.",
            jobs.durations,
        ),
        (
            "job_last_success_timestamp_seconds",
            "gauge",
            "When the job last succeeded (Unix time).",
            jobs.last_ok,
        ),
    ]
    for name, kind, help_text, values in families:
        family = _Family(lines, name, kind, help_text)
        for job in sorted(values):
            family.add(values[job], job=job)
    family = _Family(
        lines,
        "last_poll_success_timestamp_seconds",
        "gauge",
        "When a panel's status poll last succeeded (Unix time).",
    )
    for job in sorted(jobs.last_ok):
        if job.startswith("status:"):
            family.add(jobs.last_ok[job], panel=job.split(":", 1)[1])


def collect(reader: Store | None, calls: CallCounters, jobs: JobStats) -> str:
    """Given a database reader and the live counters, return one scrape's text.

    A database that cannot be read is reported (``database_readable 0``) and
    logged; the counters are still served.
    """
    open_orders: dict[tuple[str, str], int] | None = None
    balances: list[tuple[str, str, float]] | None = None
    if reader is not None:
        try:
            open_orders = reader.open_counts()
            balances = latest_balances(reader)
        except StoreError as exc:
            log.warning("metrics_database_unreadable", error=str(exc))
    return render(Snapshot(open_orders, balances, calls.snapshot(), jobs.snapshot()))


class _Handler(BaseHTTPRequestHandler):
    timeout = 10  # a stalled client cannot hold a thread for long
    server_version = "smm-tracker"
    sys_version = ""

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/metrics", "/metrics/"):
            self._reply(404, b"not found; try /metrics\n")
            return
        collect = cast(_Server, self.server).collect
        try:
            body = collect().encode()
        except Exception as exc:  # a scrape must never take the daemon down
            log.error("metrics_failed", error=str(exc), error_type=type(exc).__name__)
            self._reply(500, b"metrics collection failed; see the log\n")
            return
        self._reply(200, body)

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return  # scrapes every 15 s would drown the journal


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    collect: Callable[[], str]

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves our own name (getfqdn): useless here,
        # and it can stall where DNS is unreachable.
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """Given host and port (0 = any free port), serve ``collect()`` at /metrics.

    Raise TrackerError naming the address if it cannot listen there.
    """

    def __init__(self, host: str, port: int, collect: Callable[[], str]):
        cls = _Server6 if ":" in host else _Server
        try:
            # An empty host means every IPv4 interface; "[::]:PORT" for IPv6 too.
            self._httpd = cls((host or "0.0.0.0", port), _Handler)
        except OSError as exc:
            shown = f"[{host}]:{port}" if ":" in host else f"{host or '*'}:{port}"
            raise TrackerError(
                f"metrics.listen {shown}: cannot listen ({exc.strerror or exc})"
            ) from None
        self._httpd.collect = collect
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.5},
            name="metrics",
            daemon=True,
        )
        self._thread.start()
        log.info("metrics_listening", host=host or "*", port=self.port)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

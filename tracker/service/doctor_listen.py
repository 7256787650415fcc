"""``smm-tracker doctor``'s look at ``[metrics] listen``: the address bound a
moment as the daemon binds it and let go at once, and, when it is taken,
whether the daemon of this config's database runs (its lock file says so)
and whether what listens there answers ``/metrics`` with the tracker's own
metrics; :mod:`tracker.rules.listen_doctor` judges what is found.

Run as root, doctor binds any port; the shipped unit's user binds none below
the kernel's first unprivileged port (``net.ipv4.ip_unprivileged_port_start``,
1024 by default), so such a port is said to be root's only."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from tracker.config.model import MetricsConfig
from tracker.rules.doctor import Check
from tracker.rules.listen_doctor import listen_check


def listen_checks(metrics: MetricsConfig, database: Path | None) -> list[Check]:
    """Given ``[metrics]`` and ``database.path`` (None: ``[database]`` is not
    valid), return the line about the endpoint's address (none when
    ``listen`` is off). Without the database no lock says whether its daemon
    runs: a taken port is the daemon's when it serves the tracker's metrics."""
    if not metrics.enabled:
        return []
    # prometheus_client: loaded only when the endpoint is configured
    from tracker.service.lock_holder import ONCE
    from tracker.service.lock_seen import holding
    from tracker.service.metrics_http import bind_failure, shown_address

    failure = bind_failure(metrics.host, metrics.port)
    daemon = None  # a run --once serves no endpoint: the port is another program's
    taken = failure is not None and failure.errno == errno.EADDRINUSE
    if taken and database is not None:
        found = holding(database)
        if found is not None and found[1] != ONCE:
            daemon = found[0] or 0
    shown = shown_address(metrics.host, metrics.port)
    # without [database] no lock says whether its daemon runs: its metrics say it
    asked = daemon is not None or (taken and database is None)
    ours = asked and serves_ours(metrics.host, metrics.port)
    daemon = 0 if ours and daemon is None else daemon
    first = first_unprivileged_port()
    root_only = first if os.geteuid() == 0 and metrics.port < first else None
    line = listen_check(
        metrics.host, metrics.port, shown, failure, daemon, ours=ours, root_only=root_only
    )
    return [line]


UNPRIVILEGED_START = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")


def first_unprivileged_port() -> int:
    """Return the first port a user without CAP_NET_BIND_SERVICE may listen
    on: the kernel's setting where it can be read (Linux 4.11+), else 1024."""
    try:
        return int(UNPRIVILEGED_START.read_text().strip())
    except (OSError, ValueError):
        return 1024


SCRAPE_TIMEOUT = 2.0  # seconds for the whole look: a loopback answer is at once
OURS = b"smm_tracker_"  # every metric the daemon serves is named so


def serves_ours(host: str, port: int) -> bool:
    """Return True when ``/metrics`` at host and port (the wildcard hosts
    asked on loopback) answers 200 with the tracker's own metrics in its
    first 64 KiB: the daemon's endpoint, not another program's."""
    import httpx

    near = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://[{near}]:{port}/metrics" if ":" in near else f"http://{near}:{port}/metrics"
    try:  # no proxy from the environment: the address is this machine's
        with httpx.Client(timeout=SCRAPE_TIMEOUT, trust_env=False) as client:
            with client.stream("GET", url) as answer:
                if answer.status_code != 200:
                    return False
                head = b""
                for chunk in answer.iter_bytes():
                    head += chunk
                    if OURS in head or len(head) >= 65536:
                        break
                return OURS in head
    except (httpx.HTTPError, OSError):
        return False

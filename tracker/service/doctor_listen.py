"""``smm-tracker doctor``'s look at ``[metrics] listen``: the address bound a
moment as the daemon binds it and let go at once, and, when it is taken,
whether the daemon of this config's database runs (its lock file says so);
:mod:`tracker.rules.listen_doctor` judges what is found."""

from __future__ import annotations

import errno
from pathlib import Path

from tracker.config.model import MetricsConfig
from tracker.rules.doctor import Check
from tracker.rules.listen_doctor import listen_check


def listen_checks(metrics: MetricsConfig, database: Path) -> list[Check]:
    """Given ``[metrics]`` and ``database.path``, return the line about the
    endpoint's address (none when ``listen`` is off)."""
    if not metrics.enabled:
        return []
    # prometheus_client: loaded only when the endpoint is configured
    from tracker.service.lock import ONCE, holding
    from tracker.service.metrics_http import bind_failure, shown_address

    failure = bind_failure(metrics.host, metrics.port)
    daemon = None  # a run --once serves no endpoint: the port is another program's
    if failure is not None and failure.errno == errno.EADDRINUSE:
        found = holding(database)
        if found is not None and found[1] != ONCE:
            daemon = found[0] or 0
    shown = shown_address(metrics.host, metrics.port)
    return [listen_check(metrics.host, metrics.port, shown, failure, daemon)]

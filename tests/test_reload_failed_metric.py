"""A failed reload is on the metrics endpoint too, while it lasts.

Operator's week (walkd99): a reload that failed (a typo, `database.path`
moved, a `key_env` variable the daemon lacks) was said in the journal,
`systemctl status` and one `config_reload_failed` alert, and nowhere a
Prometheus that watches the daemon could see: the scrape looked the same
whether the daemon ran on the file as written or on the config before it
(a cap lowered that did not take, re-orders meant to stop that go on). A
webhook down at that moment (or the alert given up) left nothing to alert
on. ``smm_tracker_config_reload_failed`` is 1 from a failed reload until a
good one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from tracker.config.load import load_config
from tracker.service.metrics import render
from tracker.service.notify import Notifier
from tracker.service.process import Service

pytestmark = pytest.mark.usefixtures("fresh_logs")

GOOD = (
    '[database]\npath = "t.db"\n\n'
    '[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k1k2k3k4k5k6"\n'
)


def _gauge(service: Service) -> float | None:
    for family in text_string_to_metric_families(render(service._snapshot())):
        for sample in family.samples:
            if sample.name == "smm_tracker_config_reload_failed":
                return sample.value
    return None


def test_the_gauge_is_1_from_a_failed_reload_until_a_good_one(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    config = load_config(str(path), {})
    service = Service(config, load=lambda: load_config(str(path), {}), notifier=Notifier(None))
    first = service._build(config)
    generations = [first]
    try:
        assert _gauge(service) == 0  # before: no such series
        path.write_text(GOOD + '\n[schedule]\nstatus_evry = "10m"\n')
        with capture_logs():
            assert service._reload() is None
        assert _gauge(service) == 1
        path.write_text(GOOD + '\n[schedule]\nstatus_every = "10m"\n')
        with capture_logs():
            second = service._reload()
        assert second is not None
        generations.append(second)
        assert _gauge(service) == 0
    finally:
        for generation in generations:
            generation.close()

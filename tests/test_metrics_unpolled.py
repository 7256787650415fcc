"""Open orders of a panel taken out of the config are on the metrics endpoint.

Operator's week (ops210): a reload that removed a panel with open orders
left them unpolled, said in the journal (`orders_of_unconfigured_panel`),
`systemctl status`, `doctor` and `orders`' note, but a Prometheus watching
the daemon saw every series of that panel vanish and nothing else: no
`open_orders`, no `last_poll_success` to go stale, nothing an alert rule
could fire on. ``smm_tracker_unpolled_orders{panel}`` counts them while
they last, a series for such a panel only.
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
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

HEAD = '[database]\npath = "t.db"\n'
MAIN = '\n[[panels]]\nname = "main"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k1k2k3k4k5k6"\n'
SLOW = '\n[[panels]]\nname = "slow"\nurl = "http://127.0.0.1:9/api/v2"\nkey = "k6k5k4k3k2k1"\n'


def _samples(service: Service) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(render(service._snapshot())):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def _orders(path: Path) -> None:
    store = Store(path)
    try:
        with store.conn:
            store.conn.executemany(
                "INSERT INTO orders (panel, order_id, created_at, updated_at, status, polling) "
                "VALUES (?, ?, '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00', ?, ?)",
                [
                    ("main", 1, "Pending", 1),
                    ("slow", 2, "Pending", 1),
                    ("slow", 3, "In progress", 1),
                    ("slow", 4, "Completed", 0),  # ended: nothing to poll
                ],
            )
    finally:
        store.close()


def test_a_reload_that_removes_a_panel_shows_its_open_orders_as_unpolled(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(HEAD + MAIN + SLOW)
    _orders(tmp_path / "t.db")
    config = load_config(str(path), {})
    service = Service(config, load=lambda: load_config(str(path), {}), notifier=Notifier(None))
    generations = [service._build(config)]
    service._reader = Store(tmp_path / "t.db", migrate=False)  # as the daemon's _serve opens it
    try:
        got = _samples(service)
        assert got['smm_tracker_open_orders{panel="slow",status="Pending"}'] == 1
        assert not [k for k in got if k.startswith("smm_tracker_unpolled_orders")]
        path.write_text(HEAD + MAIN)  # slow taken out, then `systemctl reload`
        with capture_logs():
            second = service._reload()
        assert second is not None
        generations.append(second)
        got = _samples(service)
        assert got['smm_tracker_unpolled_orders{panel="slow"}'] == 2
        assert 'smm_tracker_unpolled_orders{panel="main"}' not in got  # polled
        assert not [k for k in got if 'panel="slow"' in k and "unpolled" not in k]
        path.write_text(HEAD + MAIN + SLOW)  # put back: polled again
        with capture_logs():
            third = service._reload()
        assert third is not None
        generations.append(third)
        got = _samples(service)
        assert not [k for k in got if k.startswith("smm_tracker_unpolled_orders")]
        assert got['smm_tracker_open_orders{panel="slow",status="In progress"}'] == 1
    finally:
        service._reader.close()
        for generation in generations:
            generation.close()

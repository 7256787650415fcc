"""``smm_tracker_panel_key_refused{panel}``: 1 while the panel refuses the API
key, else 0.

Ops56: ``smm_tracker_api_failures_total`` stays 0 while the key is refused
(it counts calls with no usable answer; a refusal is an answer), and no
metric said "this panel refuses our key". The gauge is 1 from the pause,
stays 1 across a reload (which ends the pause until the panel refuses the
key again: its ``auth_failed`` stays open), and is 0 once the key is taken.
Read from what the daemon's metrics endpoint serves, the key in no label."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_metrics import parsed
from waits import settled, until

from tracker.clock import utcnow
from tracker.config.load import config_from_dict
from tracker.rules.alerts import AUTH_FAILED
from tracker.rules.episodes import Episode
from tracker.service.callstats import CallCounters
from tracker.service.daemon import Scheduler
from tracker.service.jobstats import JobStats
from tracker.service.metrics import render, take_snapshot
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import save_episode
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

WRONG = "refused-key-Tg7Yh2Nc5Wq"
GOOD = "the-panels-own-key-Pk3Ls8"
BAD = 'smm_tracker_panel_key_refused{panel="bad"}'
FINE = 'smm_tracker_panel_key_refused{panel="good"}'


@pytest.fixture
def panels() -> Iterator[tuple[PanelServer, PanelServer]]:
    with (
        PanelServer(SimulatedPanel(key=GOOD)) as bad,
        PanelServer(SimulatedPanel(key=GOOD)) as good,
    ):
        yield bad, good


def test_the_gauge_is_1_while_the_key_is_refused_across_a_reload_then_0(
    tmp_path: Path, panels: tuple[PanelServer, PanelServer]
) -> None:
    def config(key: str) -> Any:
        listed = [
            {"name": "bad", "url": panels[0].url, "key": key, "retries": 0},
            {"name": "good", "url": panels[1].url, "key": GOOD, "retries": 0},
        ]
        settings = {"database": {"path": "t.db"}, "panels": listed}
        return config_from_dict(settings, base_dir=tmp_path, env={})

    service = Service(config(WRONG), load=lambda: config(WRONG), notifier=Notifier(None))
    scheduler = Scheduler(service.stats)
    scrapes = []

    def scrape() -> dict[str, float]:
        scrapes.append(text := render(service._snapshot()))  # what /metrics serves
        return parsed(text)

    try:
        scheduler.start(service._build(config(WRONG)))
        service._reader = Store(tmp_path / "t.db", migrate=False)
        until(lambda: service._watch.paused == {"bad"}, "never paused")
        until(lambda: settled(service.stats, scheduler), "the first runs never ended")
        got = scrape()
        assert (got[BAD], got[FINE]) == (1, 0)  # before: no such metric
        assert got['smm_tracker_api_failures_total{action="balance",panel="bad"}'] == 0

        # A reload for another reason ends the pause (the jobs run, and pause
        # again at the next refusal): the key is still refused all the same.
        again = service._reload()
        assert again is not None
        scheduler.replace(again)
        assert scrape()[BAD] == 1

        # The key fixed and reloaded: the probe at once, auth_recovered, 0.
        service.load = lambda: config(GOOD)
        fixed = service._reload()
        assert fixed is not None
        scheduler.replace(fixed)

        def recovered() -> bool:
            episode = service._watch.alerter.episode("bad", AUTH_FAILED)
            return episode is not None and not episode.active and not service.stats.busy()

        until(recovered, "auth_failed never ended")
        got = scrape()
        assert (got[BAD], got[FINE]) == (0, 0)
    finally:
        scheduler.shutdown()
        if service._reader is not None:
            service._reader.close()
    assert not any(WRONG in text or GOOD in text for text in scrapes)


def test_an_auth_failed_open_in_the_database_is_1_with_no_pause(tmp_path: Path) -> None:
    # After a restart or a reload no panel is paused until it refuses the key
    # again; its auth_failed, kept in alert_state, says it does. A panel no
    # longer configured has no series; every configured one has, 0 when fine.
    store = Store(tmp_path / "t.db")
    for panel in ("bad", "gone"):
        save_episode(store, (panel, AUTH_FAILED, Episode(True, utcnow(), utcnow())))
    try:
        snap = take_snapshot(store, CallCounters(), JobStats(), ["bad", "good"])
        got = parsed(render(snap))
        assert (got[BAD], got[FINE]) == (1, 0)
        assert 'smm_tracker_panel_key_refused{panel="gone"}' not in got
        paused = take_snapshot(None, CallCounters(), JobStats(), ["bad", "good"], ["good"])
        assert parsed(render(paused))[FINE] == 1  # the live pause, the database unread
    finally:
        store.close()

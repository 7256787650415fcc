"""A reload (SIGHUP) that changes a paused panel's key probes it at once.

Soak (ops16): the key fixed in the config and reloaded, ``auth_recovered``
came up to ``balance_every`` (15 min) later: the reload keeps each job's
next turn, and only the balance probe ends an ``auth_failed`` episode. A
reload that changed the key of a panel whose key is refused (paused, or
its ``auth_failed`` open) runs that panel's balance job at once; the other
jobs keep their turns, and so does the balance job of a reload that left
the key as it was."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from waits import next_turns, settled

from tracker.config.load import config_from_dict
from tracker.service.daemon import Scheduler
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "rekeyed-wrong-key-Hn5Gt2Kp8"
GOOD = "the-panels-own-key-Vb3Xm9"
WAIT = 20.0


@pytest.fixture
def panel() -> Iterator[PanelServer]:
    with PanelServer(SimulatedPanel(key=GOOD)) as server:
        yield server


def _service(tmp_path: Path, url: str) -> tuple[Service, Any]:
    def config(key: str) -> Any:
        panels = [{"name": "bad", "url": url, "key": key, "retries": 0}]
        settings = {"database": {"path": "t.db"}, "panels": panels}
        return config_from_dict(settings, base_dir=tmp_path, env={})

    first = config(KEY)
    return Service(first, load=lambda: first, notifier=Notifier(None)), config


def _until(done: Any, what: str) -> None:
    end = time.monotonic() + WAIT
    while not done():
        assert time.monotonic() < end, what
        time.sleep(0.02)


def _reload(tmp_path: Path, url: str, new_key: str) -> tuple[dict[str, float], list[str]]:
    """Start the daemon with the refused key, reload with ``new_key``; return
    each job's next turn in seconds from just after the reload (``ran``: 1.0
    when the balance job ran since), and the alerts raised meanwhile."""
    service, config = _service(tmp_path, url)
    scheduler = Scheduler(service.stats)
    try:
        with capture_logs() as logs:
            scheduler.start(service._build(config(KEY)))
            _until(lambda: service._watch.paused == {"bad"}, "never paused")
            _until(lambda: settled(service.stats, scheduler), "the first runs never ended")
            balance_runs = service.stats.runs_by_job["balance:bad"]
            services_runs = service.stats.runs_by_job["services:bad"]
            new = service._build(config(new_key))
            service.config = config(new_key)
            scheduler.replace(new)
            turns = next_turns(scheduler)

            def ran() -> bool:
                return service.stats.runs_by_job["balance:bad"] > balance_runs

            # Due now, handed to a worker, or run already: its turn is then
            # the next one; wait for the run to end.
            due = turns["balance:bad"] < 5 or "balance:bad" in scheduler._in_flight() or ran()
            if due:
                _until(lambda: ran() and not service.stats.busy(), "the probe never ran")
            turns["ran"] = float(ran())
            # Its other jobs: due now or run already (a key changed at the
            # same URL: what was learned of the panel is asked again).
            services_ran = service.stats.runs_by_job["services:bad"] > services_runs
            turns["services_anew"] = float(turns["services:bad"] < 5 or services_ran)
    finally:
        scheduler.shutdown()
    return turns, [e["alert"] for e in logs if e["event"] == "alert"]


def test_a_reload_that_fixes_a_refused_key_probes_the_panel_at_once(
    tmp_path: Path, panel: PanelServer
) -> None:
    turns, raised = _reload(tmp_path, panel.url, GOOD)
    assert turns["ran"], turns  # before: not run, its kept turn 900 s away
    assert raised == ["auth_failed", "auth_recovered"]  # within seconds of the reload
    # The other jobs run at once too: the key changed at the same URL may be
    # another account on another script (what was learned asked again).
    assert turns["services_anew"], turns


def test_a_reload_that_leaves_the_key_as_it_was_keeps_the_probes_turn(
    tmp_path: Path, panel: PanelServer
) -> None:
    # The other half: a reload for another reason (a webhook changed) runs
    # no job at once, the probe of a panel still refusing the key included.
    turns, raised = _reload(tmp_path, panel.url, KEY)
    assert 800 < turns["balance:bad"] <= 900 and not turns["ran"], turns
    assert turns["services:bad"] > 3600 and not turns["services_anew"], turns
    assert raised == ["auth_failed"]

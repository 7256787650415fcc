"""The ``balance_checked`` log line's ``runway`` field does not say "runway"
again in its value.

Ops56: a first balance check logged ``runway="runway unknown (less than 1h
of balance history)"``. The field's value now reads ``unknown (less than 1h
of balance history)``, as the ``balance`` command's ``runway:`` line does;
the alerts and ``balance --json``'s ``text`` keep the phrase that stands
alone. Driven by the balance job against the simulated panel on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "sim-key-RunwayField4"
UNKNOWN = "unknown (less than 1h of balance history)"


def test_the_log_and_the_cli_say_the_runway_after_their_label_alone(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = SimulatedPanel(clock=lambda: clock().timestamp(), key=KEY, quirks=False)
    server = PanelServer(panel).start()
    data = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": server.url, "key": KEY, "retries": 0}],
        "refill": {"enabled": False},
    }
    tracker = Tracker(config_from_dict(data, base_dir=tmp_path, env={}), clock=clock)
    try:
        with capture_logs() as logs:
            assert {job.name: job for job in tracker.jobs()}["balance:main"].run()
    finally:
        tracker.close()
        server.stop()
    checked = [e for e in logs if e["event"] == "balance_checked"]
    assert [e["runway"] for e in checked] == [UNKNOWN]  # before: "runway unknown (...)"

    config = OFFLINE_CONFIG.replace('"t.db"', '"tracker.db"')  # "main", never called
    cli = cli_in(tmp_path, monkeypatch, config, env={"SMM_TEST_KEY": TEST_KEY})
    assert f"  runway: {UNKNOWN}" in cli("balance").stdout.splitlines()
    shown = json.loads(cli("balance", "--json").stdout)["panels"][0]
    assert shown["runway"]["text"] == f"runway {UNKNOWN}"  # --json as it was

"""`balance --json` says what the text's note says of a panel not answering
now: since when its key is refused (``auth_failed``) and every call has
failed (``panel_unreachable``). The fields were missing: a script read the
last balance as today's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from click.testing import CliRunner
from simconfig import sim_config

from tracker.cli.main import main
from tracker.rules.episodes import Episode
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import record_balance, save_episode
from tracker.store.orders import Store

KEY = "sim-key-Episodes4Rt8Yu2"


def _cli(tmp_path, monkeypatch, url: str):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "tracker.toml").write_text(sim_config(url, panel='retries = 0\ntimeout = "5s"'))
    return lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_balance_json_says_since_when_the_key_is_refused(tmp_path, monkeypatch):
    server = PanelServer(SimulatedPanel(key=KEY, seed=5)).start()
    try:
        cli = _cli(tmp_path, monkeypatch, server.url)
        monkeypatch.setenv("SIM_KEY", KEY)
        assert cli("run", "--once").exit_code == 0  # a balance fetched
        monkeypatch.setenv("SIM_KEY", "a-key-the-panel-refuses")
        assert cli("run", "--once").exit_code == 1  # auth_failed opens
        text = cli("balance")
        shown = json.loads(cli("balance", "--json").stdout)
    finally:
        server.stop()
    assert text.stderr.startswith("(sim: the API key is refused since 20")
    (panel,) = shown["panels"]
    since = panel["key_refused_since"]
    assert since is not None and since.startswith("20")
    assert panel["unreachable_since"] is None
    assert shown["not_answering"] == [
        {"panel": "sim", "unreachable_since": None, "key_refused_since": since}
    ]


def test_balance_json_says_since_when_the_panel_is_unreachable(tmp_path, monkeypatch):
    cli = _cli(tmp_path, monkeypatch, "http://127.0.0.1:9/api/v2")
    monkeypatch.setenv("SIM_KEY", KEY)
    assert cli("track", "5").exit_code == 0
    # As the daemon leaves them: a balance, then every call failing past
    # alerts.unreachable_after.
    then = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    store = Store(tmp_path / "t.db")
    record_balance(store, "sim", then, Decimal("12.50"), "USD")
    save_episode(store, ("sim", "panel_unreachable", Episode(active=True, since=then)))
    store.close()
    assert "every call has failed since" in cli("balance").stderr
    shown = json.loads(cli("balance", "--json").stdout)
    (panel,) = shown["panels"]
    assert panel["unreachable_since"] == "2026-12-01T09:00:00+00:00"
    assert panel["key_refused_since"] is None
    assert panel["balance"] == 12.5  # the last it gave, said so beside it

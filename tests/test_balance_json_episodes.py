"""`balance --json` says what the text's note says of a panel not answering
now: since when its key is refused (``auth_failed``) and every call has
failed (``panel_unreachable``). The fields were missing: a script read the
last balance as today's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from click.testing import CliRunner
from key_fixes import TAKEN, install_units
from simconfig import sim_config

from tracker.cli.main import main
from tracker.rules.episodes import Episode
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.alerts import record_balance, save_episode
from tracker.store.orders import Store

KEY = "sim-key-Episodes4Rt8Yu2"
# What `orders` says fixes a refused key, as doctor says it.
FIX = (
    "fix the key in panels[0].key_env (environment variable SIM_KEY), then "
    f"{TAKEN['key_env']}; from cron, the next run reads it"
)


def _cli(tmp_path, monkeypatch, url: str):
    install_units(tmp_path, monkeypatch, "system")  # as TAKEN says: systemctl
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


def test_balance_text_says_both_episodes_the_key_first(tmp_path, monkeypatch):
    # The key refused at 08:00, then every call failing from 09:00: --json
    # gives both; the text's note named the key's only.
    cli = _cli(tmp_path, monkeypatch, "http://127.0.0.1:9/api/v2")
    monkeypatch.setenv("SIM_KEY", KEY)
    assert cli("track", "5").exit_code == 0
    refused = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    unreachable = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    store = Store(tmp_path / "t.db")
    save_episode(store, ("sim", "auth_failed", Episode(active=True, since=refused)))
    save_episode(store, ("sim", "panel_unreachable", Episode(active=True, since=unreachable)))
    store.close()
    both = (
        "the API key is refused since 2026-12-01T08:00:00+00:00, and every call has "
        "failed since 2026-12-01T09:00:00+00:00"
    )
    first = f"the refused key is the cause to fix first: {FIX}"  # as orders says it
    none_yet = cli("balance")  # no balance fetched yet
    assert none_yet.exit_code == 0, none_yet.output
    assert none_yet.stderr == f"sim: no balance fetched yet ({both}; {first})\n"

    store = Store(tmp_path / "t.db")
    record_balance(store, "sim", refused, Decimal("12.50"), "USD")
    store.close()
    shown = cli("balance")
    assert shown.exit_code == 0, shown.output
    note = f"(sim: {both}: its balance is the last it gave; {first})\n"
    assert shown.stderr == note, shown.stderr
    (panel,) = json.loads(cli("balance", "--json").stdout)["panels"]
    assert panel["key_refused_since"] == "2026-12-01T08:00:00+00:00"
    assert panel["unreachable_since"] == "2026-12-01T09:00:00+00:00"


def test_orders_note_says_both_episodes_the_key_first(tmp_path, monkeypatch):
    # The same two episodes open: `orders`' note named the key's refusal
    # alone (failing_panels keeps one episode a panel), as balance did.
    cli = _cli(tmp_path, monkeypatch, "http://127.0.0.1:9/api/v2")
    monkeypatch.setenv("SIM_KEY", KEY)
    assert cli("track", "5").exit_code == 0
    store = Store(tmp_path / "t.db")
    for kind, hour in (("auth_failed", 8), ("panel_unreachable", 9)):
        since = datetime(2026, 12, 1, hour, 0, tzinfo=UTC)
        save_episode(store, ("sim", kind, Episode(active=True, since=since)))
    store.close()
    listed = cli("orders")
    assert listed.exit_code == 0, listed.output
    assert listed.stderr == (
        "(sim: the API key is refused since 2026-12-01T08:00:00+00:00, and every call has "
        "failed since 2026-12-01T09:00:00+00:00: its statuses are the last it gave; "
        f"the refused key is the cause to fix first: {FIX})\n"
    ), listed.stderr

    store = Store(tmp_path / "t.db")  # the panel answers again; the key is still refused
    save_episode(store, ("sim", "panel_unreachable", Episode(active=False, since=None)))
    store.close()
    assert cli("orders").stderr == (
        "(sim: the API key is refused since 2026-12-01T08:00:00+00:00: its statuses are "
        f"the last it gave; {FIX})\n"
    )

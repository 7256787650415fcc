"""`balance` as a script reads it: `--json` lists every panel the text
speaks of, one with no balance fetched yet too (its figures null,
`why_no_balance` saying why): a script iterating the panels missed it; and
`--panel P` of a file holding balances of P but no order yet is P, as
`balance --database F` lists it (it was exit 2, "no panel named")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in

import tracker.config.load as config_load
from tracker.cli.main import main
from tracker.store.alerts import record_balance
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs")

CONFIG = """
[database]
path = "t.db"
[balance]
low = 10
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
[[panels]]
name = "spare"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
"""
AT = datetime(2026, 12, 6, 9, tzinfo=UTC)


def test_json_lists_a_configured_panel_with_no_balance_yet(tmp_path, monkeypatch) -> None:
    cli = cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})
    store = Store(tmp_path / "t.db")
    record_balance(store, "main", AT, Decimal("12.50"), "USD")
    store.close()
    text = cli("balance")
    assert "spare: no balance fetched yet" in text.stderr  # the text speaks of it
    shown = cli("balance", "--json")
    assert shown.exit_code == 0, shown.output
    panels = {p["panel"]: p for p in json.loads(shown.stdout)["panels"]}
    assert list(panels) == ["main", "spare"]  # in the config's order, as the text
    main_, spare = panels["main"], panels["spare"]
    assert (main_["balance"], main_["why_no_balance"]) == (12.5, None)
    assert set(spare) == set(main_)  # the same fields: a script reads each alike
    assert spare["why_no_balance"] == "not_fetched_yet"
    assert (spare["balance"], spare["currency"], spare["at"], spare["history"]) == (
        None,
        None,
        None,
        [],
    )
    assert spare["runway"]["seconds_left"] is None and spare["configured"] is True
    assert spare["low"] == 10.0  # the threshold it will be judged by, as configured


def test_json_says_a_panel_learned_to_have_no_balance_action(tmp_path, monkeypatch) -> None:
    cli = cli_in(tmp_path, monkeypatch, CONFIG, env={"SMM_TEST_KEY": None})
    store = Store(tmp_path / "t.db")
    record_balance(store, "main", AT, Decimal("12.50"), "USD")
    with store.write() as db:
        db.execute(
            "INSERT INTO panel_capabilities (panel, action, supported, learned_at, evidence, url)"
            " VALUES ('spare', 'balance', 0, ?, 'Incorrect request', ?)",
            [AT.isoformat(), "http://127.0.0.1:9/api/v2"],
        )
    store.close()
    shown = json.loads(cli("balance", "--json").stdout)
    spare = {p["panel"]: p for p in shown["panels"]}["spare"]
    assert (spare["balance"], spare["why_no_balance"]) == (None, "no_balance_action")
    assert [p["panel"] for p in shown["no_balance_action"]] == ["spare"]


@pytest.fixture
def no_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(config_load.ENV_VAR, raising=False)
    monkeypatch.setattr(config_load, "SYSTEM_CONFIG", tmp_path / "etc" / "config.toml")


def test_panel_of_a_file_holding_its_balances_and_no_order(no_config, tmp_path) -> None:
    path = tmp_path / "fresh.db"
    store = Store(path)
    record_balance(store, "main", AT, Decimal("12.50"), "USD")
    store.close()
    run = CliRunner().invoke
    listed = run(main, ["balance", "--database", str(path), "--panel", "main", "--json"])
    assert listed.exit_code == 0, listed.output
    (panel,) = json.loads(listed.stdout)["panels"]
    assert (panel["panel"], panel["balance"]) == ("main", 12.5)
    text = run(main, ["balance", "--database", str(path), "--panel", "main"])
    assert text.exit_code == 0 and text.stdout.startswith("main: 12.50 USD"), text.output
    # A typo is still one: exit 2, naming what the file holds.
    typo = run(main, ["balance", "--database", str(path), "--panel", "mian"])
    assert typo.exit_code == 2
    assert typo.output == (
        f"smm-tracker: --panel: no panel named 'mian' in {path} "
        "(it holds no orders; balances of: main)\n"
    )

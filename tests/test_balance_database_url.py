"""`balance --database PATH` without a config: what was learned of a panel
is said with the URL it was learned at (credentials as ***), since the
balances beside it may be those of another URL the panel had since."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

from tracker.config.model import Secret
from tracker.store.alerts import record_balance
from tracker.store.capabilities import learn
from tracker.store.orders import Store

OLD_URL = "https://reseller:hunter2@old.example/api/v2?token=abc"


def test_balance_without_a_config_names_the_url_a_missing_balance_was_learned_at(
    tmp_path, monkeypatch
):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    assert cli("track", "5").exit_code == 0
    # Learned missing at the old script's URL; the panel's new URL answered it a day later.
    store = Store(tmp_path / "t.db")
    then = datetime(2026, 12, 1, tzinfo=UTC)
    key = Secret(TEST_KEY)
    learn(store, "main", "balance", False, "Incorrect request", then, url=OLD_URL, key=key)
    record_balance(store, "main", then + timedelta(days=1), Decimal("12.50"), "USD")
    store.close()
    (tmp_path / "tracker.toml").unlink()  # a copy of the file, read elsewhere

    result = cli("balance", "--database", "t.db")
    assert result.exit_code == 0, result.output
    assert "main: 12.50 USD" in result.stdout
    shown = "https://reseller:***@old.example/api/v2?token=***"
    assert f"main (at {shown}) has no balance action" in result.stderr
    assert "hunter2" not in result.output and "abc" not in result.output

    listed = json.loads(cli("balance", "--database", "t.db", "--json").stdout)
    assert [r["url"] for r in listed["no_balance_action"]] == [shown]

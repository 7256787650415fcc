"""What was learned of a panel the config no longer names is said with the
URL it was learned at (credentials as ***), in `services`' notes and
`doctor`'s lines, as `balance` says it: nothing says the panel's URL now,
and the script there may be another one."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

from tracker.config.model import Secret
from tracker.store.capabilities import learn
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("quick_backoff")  # a panel down on purpose: tries 10 ms apart

OLD_URL = "https://reseller:hunter2@old.example/api/v2?token=abc"
SHOWN = "https://reseller:***@old.example/api/v2?token=***"


def _learned_of_a_panel_left_out(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    assert cli("track", "5").exit_code == 0
    store = Store(tmp_path / "t.db")
    then = datetime(2026, 12, 1, tzinfo=UTC)
    # "old", since removed from the config, learned without refill and
    # balance at its old script's URL.
    key = Secret("the-left-out-panels-key")
    learn(store, "old", "refill", False, "Incorrect request", then, url=OLD_URL, key=key)
    learn(store, "old", "balance", False, "Incorrect request", then, url=OLD_URL, key=key)
    store.close()
    return cli


def test_services_names_the_url_a_left_out_panels_row_was_learned_at(tmp_path, monkeypatch):
    cli = _learned_of_a_panel_left_out(tmp_path, monkeypatch)
    result = cli("services")
    assert result.exit_code == 0, result.output
    assert f"note: old (at {SHOWN}) does not support refill" in result.stderr
    assert f"note: old (at {SHOWN}) has no balance action" in result.stderr
    assert "hunter2" not in result.output and "abc" not in result.output


def test_doctor_names_the_url_a_left_out_panels_row_was_learned_at(tmp_path, monkeypatch):
    cli = _learned_of_a_panel_left_out(tmp_path, monkeypatch)
    result = cli("doctor")
    lines = [line for line in result.output.splitlines() if "old" in line]
    assert any(
        f"panel old (at {SHOWN})" in line and "does not support refill" in line for line in lines
    ), lines
    assert any(
        f"panel old (at {SHOWN})" in line and "has no balance action" in line for line in lines
    ), lines
    assert "hunter2" not in result.output and "abc" not in result.output


def test_doctor_json_gives_the_url_a_left_out_panels_row_was_learned_at(tmp_path, monkeypatch):
    # A monitor had the URL only inside "name", "panel old (at URL)": it has
    # its own field now, the name kept as it was.
    cli = _learned_of_a_panel_left_out(tmp_path, monkeypatch)
    result = cli("doctor", "--json")
    checks = json.loads(result.stdout)["checks"]
    olds = [check for check in checks if check["name"].startswith("panel old")]
    assert [(check["name"], check.get("url")) for check in olds] == [
        (f"panel old (at {SHOWN})", SHOWN),
        (f"panel old (at {SHOWN})", SHOWN),
    ], olds
    assert "has no balance action" in olds[0]["detail"]
    assert "does not support refill" in olds[1]["detail"]
    others = [check for check in checks if check not in olds]
    assert others and all("url" not in check for check in others), others
    assert "hunter2" not in result.output and "abc" not in result.output

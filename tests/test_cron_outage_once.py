"""An alert target's outage told once across `run --once` runs and reloads,
and its end told by whichever run sees the target answer again.

The outage lived in the sink: every `run --once` under cron (a new process)
and every reload (a new sink) warned `webhook_failed` again while the same
webhook stayed down, a warning every 5 minutes for one outage, and none ever
said `webhook_recovered` when a later run found it back. Kept in
``alert_state`` now, under a mark of the target's URL (never the URL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import HostileServer, statuses_panel
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config
from test_webhook import TOKEN, Hook

from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

KEY = "hostile-key-Outage5Once8Told3"


@pytest.fixture
def hook() -> Iterator[Hook]:
    made = Hook(status=503)  # down: a receiver restarting, a proxy in front of it
    yield made
    made.close()


def _told(stderr: str) -> list[tuple[str, str]]:
    """The delivery lines of a run's JSON log: (event, level), in order."""
    return [
        (entry["event"], entry["level"])
        for entry in json_entries(stderr)
        if str(entry.get("event", "")).startswith(("webhook_", "notify_"))
    ]


def test_two_run_once_runs_warn_once_of_a_webhook_down_and_a_third_tells_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: Hook
) -> None:
    # Each run sees an order end (a new alert for the webhook): 101 partial,
    # then 102, 103, 104.
    statuses = {str(order): "In progress" for order in range(101, 105)}

    with HostileServer(statuses_panel(statuses)) as server:
        config = sim_config(server.url, json_logs=True, key_env="PANEL_KEY")
        config += f'[alerts]\nwebhook_url = "{hook.url}"\n'
        cli = cli_in(tmp_path, monkeypatch, config, env={"PANEL_KEY": KEY})
        assert cli("track", *statuses).exit_code == 0

        def run(order: str) -> list[tuple[str, str]]:
            statuses[order] = "Partial"
            ran = cli("--log-level", "debug", "run", "--once", "--all")
            assert ran.exit_code == 0, ran.stderr
            assert TOKEN not in ran.stderr and "Traceback" not in ran.stderr
            return [(event, level) for event, level in _told(ran.stderr) if level != "debug"]

        assert run("101") == [("webhook_failed", "warning")]
        # Before: the same warning again, the next run a new process.
        assert run("102") == []
        hook.status = 200
        assert run("103") == [("webhook_recovered", "info")]  # before: nothing said
        hook.status = 503
        assert run("104") == [("webhook_failed", "warning")]  # a new outage: told
    store = Store(tmp_path / "t.db")
    try:  # what is kept names the target and a mark of its URL, never the URL
        (row,) = store.rows("SELECT * FROM alert_state WHERE panel = ''")
        assert row["kind"].startswith("webhook_failed@webhook#pbkdf2-sha256$")
        assert TOKEN not in json.dumps(row) and "127.0.0.1" not in json.dumps(row)
    finally:
        store.close()

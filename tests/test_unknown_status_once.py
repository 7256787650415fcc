"""A status word the tracker does not know, warned once across `run --once` runs.

Each `run --once` under cron is a new process, and the client's "once" lived
in memory: every run warned `unknown_status` again for the same word while an
order stayed in it, so `--log-level warning` mailed a line a minute for days,
after the `unknown_status` alert had said it once. While that alert's episode
is open, the words the panel's open orders already carry were told by an
earlier run; a new word is told.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, statuses_panel
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

KEY = "hostile-key-Unknown4Words7Once"


def _warned(stderr: str) -> list[tuple[str, Any]]:
    """The status-word lines of a run's JSON log above debug: (event, status)."""
    said = []
    for entry in (e for e in json_entries(stderr) if e.get("level") != "debug"):
        if str(entry.get("event", "")).startswith("unknown_status"):
            said.append((entry["event"], entry.get("status")))
        if entry.get("alert") == "unknown_status":
            said.append(("alert", entry["alert"]))
    return said


def test_a_word_warned_by_one_run_is_not_warned_again_by_the_next_a_new_word_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    statuses = {"101": "Zooming along", "102": "In progress"}

    with HostileServer(statuses_panel(statuses)) as server:
        config = sim_config(server.url, json_logs=True, key_env="PANEL_KEY")
        cli = cli_in(tmp_path, monkeypatch, config, env={"PANEL_KEY": KEY})
        assert cli("track", *statuses).exit_code == 0

        def run() -> list[tuple[str, Any]]:
            ran = cli("run", "--once", "--all")
            assert ran.exit_code == 0, ran.stderr
            assert "Traceback" not in ran.stderr
            return _warned(ran.stderr)

        assert run() == [("unknown_status", "Zooming along"), ("alert", "unknown_status")]
        # Before: ("unknown_status", "Zooming along") again, at every run.
        assert run() == []
        statuses["102"] = "Warp speed"  # a word no run told yet
        assert run() == [("unknown_status", "Warp speed")]
        assert run() == []
    ended = cli("orders", "--status", "Zooming along")
    assert "101" in ended.stdout  # the word kept as the panel spelled it

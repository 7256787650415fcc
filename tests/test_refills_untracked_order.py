"""`refills --order ID` of an order the tracker does not track says so, and
exits 1 as `history ID` does: it said only "no refill requests" (exit 0), as
of a tracked order never refilled, so a typo or an order never tracked read
as one whose refills were all fine."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tracker.cli.main import main

CONFIG = """
[database]
path = "t.db"
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key = "refills-untracked-Kx81"
timeout = "1s"
retries = 0
"""


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "tracker.toml").write_text(CONFIG)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert invoke("track", "101").exit_code == 0
    return invoke


@pytest.mark.parametrize("json", [[], ["--json"]])
def test_an_untracked_order_is_said_not_tracked_and_exits_as_history_does(cli, json):
    done = cli("refills", "--order", "999", *json)
    history = cli("history", "999")
    assert (done.exit_code, history.exit_code) == (1, 1)  # was 0
    assert done.output == (  # stderr: the runner mixes it in
        "smm-tracker: order 999 is not tracked: no refill requests "
        "(smm-tracker track 999 records it from now on)\n"
    )


def test_an_untracked_order_on_the_panel_named_is_said_not_tracked_there(cli):
    done = cli("refills", "--order", "999", "--panel", "main")
    assert done.exit_code == 1
    assert "order 999 is not tracked on main: no refill requests" in done.output


def test_a_tracked_order_without_refills_still_says_none(cli):
    done = cli("refills", "--order", "101")
    assert (done.exit_code, done.output) == (0, "no refill requests\n")
    listed = cli("refills", "--order", "101", "--json")
    assert (listed.exit_code, listed.output) == (0, "[]\n")

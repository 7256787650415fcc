"""`untrack`, `prune` and `backup` say their own outcome in a sentence too:
on a terminal at the default level they run at the level `add`, `cancel`,
`refill`, `services` and `track` run at there (warnings and errors shown,
an info line saying their sentence again left out). None of the three logs
at info today: this keeps them so when one does. Piped, and with
`--log-level info` asked, info as before."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.cli import screen as screen_module

pytestmark = pytest.mark.usefixtures("fresh_logs")

COMMANDS = {
    "untrack": ["untrack", "5"],
    "prune": ["prune", "--older-than", "30d", "--yes"],
    "backup": ["backup", "copy.db"],
    "track": ["track", "6"],  # the set they join
}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"COLUMNS": "80"})
    assert cli("track", "5").exit_code == 0  # a database and an order to untrack
    return cli


@pytest.mark.parametrize("name", list(COMMANDS))
def test_on_a_terminal_at_the_default_level_an_info_line_is_left_out(cli, monkeypatch, name):
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    done = cli(*COMMANDS[name])
    assert done.exit_code == 0, done.output
    assert logging.getLogger().level == logging.WARNING


@pytest.mark.parametrize("name", list(COMMANDS))
def test_piped_or_asked_info_lines_stay(cli, monkeypatch, name):
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: False)
    assert cli(*COMMANDS[name]).exit_code == 0
    assert logging.getLogger().level == logging.INFO
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    again = [word.replace("copy.db", "copy2.db") for word in COMMANDS[name]]  # a new file
    assert cli("--log-level", "info", *again).exit_code == 0
    assert logging.getLogger().level == logging.INFO

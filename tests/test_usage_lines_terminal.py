"""A usage mistake's line on an 80-column terminal: `prune 1d` said its
form to use in 119 columns, the terminal breaking it inside its words
(`--older-than` split over two lines). There it is wrapped at its words,
as the error lines are; piped (a script, cron's mail) it stays one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.cli import screen as screen_module

PRUNE = (  # "main": CliRunner's name of the program
    "smm-tracker: Missing option '--older-than': the age is an option: prune --older-than 1d "
    "(see 'main prune --help')"
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    return cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"COLUMNS": "60"})


def test_a_usage_line_on_a_terminal_is_wrapped_at_its_words(cli, monkeypatch):
    piped = cli("prune", "1d")
    assert (piped.exit_code, piped.stderr) == (2, PRUNE + "\n")
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    shown = cli("prune", "1d")
    assert shown.exit_code == 2
    lines = shown.stderr.splitlines()
    assert len(lines) == 2 and all(len(line) <= 60 for line in lines), lines
    assert all(line.startswith("  ") for line in lines[1:])
    assert " ".join(line.strip() for line in lines) == PRUNE
    assert "--older-than 1d" in " ".join(lines)  # never broken inside a word


def test_a_mistyped_command_on_a_terminal_too(cli, monkeypatch):
    said = "smm-tracker: No such command 'ordres'. Did you mean 'orders'? (see 'main --help')"
    assert cli("ordres").stderr == said + "\n"
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    shown = cli("ordres")
    assert shown.exit_code == 2
    lines = shown.stderr.splitlines()
    assert len(lines) == 2 and all(len(line) <= 60 for line in lines), lines
    assert " ".join(line.strip() for line in lines) == said

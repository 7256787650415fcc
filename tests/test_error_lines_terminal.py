"""An error's line on an 80-column terminal: `add`'s refusals before sending
ran to 106-240 columns, `history ID` of an untracked order to 96, the
terminal breaking them inside words (a command to paste among them). There
they are wrapped at their words to its width, as the notes on stderr are,
a detail's lines under its own indent; piped (a script, cron's mail) and
into the journal each stays one line, as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

import tracker.terminal
from tracker.cli import screen as screen_module

UNTRACKED = "smm-tracker: order 99999 is not tracked: no history (smm-tracker track 99999 records it from now on)"  # noqa: E501
BROKEN = OFFLINE_CONFIG + 'timeout = "a while"\nmax_batch = 1000\n'


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"COLUMNS": "80"})
    assert cli("track", "5").exit_code == 0  # a database: history reads it
    return cli


def test_an_error_on_a_terminal_is_wrapped_at_its_words(cli, monkeypatch):
    piped = cli("history", "99999")
    assert (piped.exit_code, piped.stderr) == (1, UNTRACKED + "\n")
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    shown = cli("history", "99999")
    assert shown.exit_code == 1
    lines = shown.stderr.splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
    assert lines[1].startswith("  ") and " ".join(x.strip() for x in lines) == UNTRACKED


def test_into_the_journal_it_stays_one_line(cli, monkeypatch):
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    monkeypatch.setattr(tracker.terminal, "is_journal", lambda stream: True)
    assert cli("history", "99999").stderr == "<3>" + UNTRACKED + "\n"


def test_a_details_lines_go_under_its_own_indent(tmp_path, monkeypatch):
    keys = "".join(f"{name}_of_a_rather_long_and_mistyped_key = 1\n" for name in ("one", "two"))
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG + keys, env={"COLUMNS": "50"})
    piped = cli("orders")
    assert piped.exit_code == 2
    assert [line[:5] for line in piped.stderr.splitlines()[1:]] == ["  at ", "  at "]
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    shown = cli("orders").stderr.splitlines()
    assert all(len(line) <= 50 for line in shown)
    first = next(n for n, line in enumerate(shown) if line.startswith("  at"))
    assert all(line.startswith(("  at", "    ")) for line in shown[first:])
    assert sum(line.startswith("    ") for line in shown[first:]) >= 2  # each detail wrapped
    assert "".join(shown).replace(" ", "") == piped.stderr.replace("\n", "").replace(" ", "")

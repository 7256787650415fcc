"""A command a newcomer guesses from other tools' names (``status``,
``list``, ``start``, ``check``, ``setup``) is answered with this one's, as a
mistyped command is: newuser197 typed ``smm-tracker status`` first and was
told only "No such command 'status'." (difflib finds nothing close)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tracker.cli.main import main


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("status", "orders"),
        ("list", "orders"),
        ("ls", "orders"),
        ("show", "orders"),
        ("start", "run"),
        ("daemon", "run"),
        ("serve", "run"),
        ("check", "doctor"),
        ("setup", "init"),
        ("config", "init"),
        ("configure", "init"),
    ],
)
def test_a_command_guessed_from_other_tools_is_answered_with_this_ones(typed, meant):
    result = CliRunner().invoke(main, [typed, "--all"], prog_name="smm-tracker")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"smm-tracker: No such command '{typed}'. Did you mean '{meant}'? "
        "(see 'smm-tracker --help')"
    ]


def test_a_mistyped_command_still_gets_its_close_match():
    result = CliRunner().invoke(main, ["stauts"], prog_name="smm-tracker")
    assert result.exit_code == 2 and "Did you mean 'orders'" not in result.output

"""Shell completion through the real CLI, as the shell's completion script
asks for it: never a traceback, and the global options complete after the
command as they do before it (README: "Shell completion")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracker
from tracker.cli.main import main

SOURCE = str(Path(tracker.__file__).parents[1])
LEVELS = ["plain,debug", "plain,info", "plain,warning", "plain,error", "plain,critical"]


def complete(line: str) -> list[str]:
    """Given the command line typed so far, return bash's completion lines."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    env = {
        "_SMM_TRACKER_COMPLETE": "bash_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(cword),
    }
    result = CliRunner().invoke(main, [], env=env, prog_name="smm-tracker", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "Error" not in result.output
    return result.output.splitlines()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("smm-tracker --log-level ", LEVELS),
        ("smm-tracker orders --log-level ", LEVELS),
        ("smm-tracker orders --panel main --log-level ", LEVELS),
        ("smm-tracker orders --config x.toml --log-level w", ["plain,warning"]),
        ("smm-tracker alerts --log-format ", ["plain,console", "plain,json", "plain,text"]),
        # The shell completes file names for a PATH.
        ("smm-tracker --config ", ["file,"]),
        ("smm-tracker orders --config ", ["file,"]),
        ("smm-tracker report --json --config tr", ["file,tr"]),
        ("smm-tracker orders --log", ["plain,--log-level", "plain,--log-format"]),
    ],
)
def test_global_options_complete_after_the_command(line, expected):
    assert complete(line) == expected


def test_the_installed_command_completes_without_a_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": SOURCE, "_SMM_TRACKER_COMPLETE": "bash_complete"}
    for line in ("smm-tracker orders --config ", "smm-tracker orders --log-level "):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from tracker.cli.main import main; main(prog_name='smm-tracker')",
            ],
            capture_output=True,
            text=True,
            env={**env, "COMP_WORDS": line, "COMP_CWORD": "3"},
            cwd=tmp_path,
            timeout=60,
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert done.stdout.splitlines()[0] in ("file,", "plain,debug")


def test_running_a_global_option_without_its_value_is_still_one_line():
    result = CliRunner().invoke(main, ["orders", "--config"], prog_name="smm-tracker")
    assert result.exit_code == 2
    assert result.output == (
        "smm-tracker: Option '--config' requires an argument. (see 'smm-tracker --help')\n"
    )

"""`init`'s line on an 80-column terminal: it ran past the edge (113
columns for `init conf/x.toml` in a deep directory), the terminal breaking
the `doctor` command to paste inside a word. There, the command goes on a
line of its own, whole; piped, the line is one, as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from simconfig import cli_in

from tracker.cli import screen as screen_module

SAID = "set the panel's url and key, then run:"


def test_init_on_a_narrow_terminal_puts_the_command_on_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "a-rather-long-folder-name" / "conf"
    deep.mkdir(parents=True)
    cli = cli_in(tmp_path, monkeypatch, None)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    result = cli("init", str(deep / "x.toml"))
    assert result.exit_code == 0, result.output
    doctor = f"smm-tracker --config {deep / 'x.toml'} doctor"
    lines = result.stdout.splitlines()
    assert lines[-1] == f"  {doctor}"  # whole, to paste
    said = "".join(lines[:-1]).replace(" ", "")  # wrapped at its words, every character kept
    assert said == f"wrote {deep / 'x.toml'}: {SAID}".replace(" ", "")
    assert all(len(line) <= 80 for line in lines[:-1])


def test_init_piped_or_fitting_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = cli_in(tmp_path, monkeypatch, None)
    piped = cli("init", "x.toml")
    assert (
        piped.stdout
        == f"wrote {tmp_path}/x.toml: {SAID} smm-tracker --config {tmp_path}/x.toml doctor\n"
    )
    monkeypatch.setenv("COLUMNS", "500")
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    wide = cli("init", "y.toml")
    assert wide.stdout.count("\n") == 1

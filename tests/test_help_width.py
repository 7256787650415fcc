"""Every command's `--help` on an 80-column terminal fits it: `unit --help`
printed the template's install command on one line of 83 columns, which
the terminal broke inside the unit file's path."""

from __future__ import annotations

import click
import pytest

from tracker.cli.main import COMMAND_MODULES, main


def _help(name: str) -> str:
    # Not through CliRunner, which lays the help out 80 wide: a terminal of
    # 80 columns gets it 78 wide, as click sizes it from $COLUMNS.
    with click.Context(main, info_name="smm-tracker") as parent:
        command = main.get_command(parent, name)
        assert command is not None
        with click.Context(command, info_name=name, parent=parent) as ctx:
            return command.get_help(ctx)


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
def test_each_command_s_help_fits_80_columns(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    wide = [line for line in _help(name).splitlines() if len(line) > 80]
    assert not wide, wide


def test_unit_help_s_install_commands_stay_whole_to_paste(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = _help("unit")
    assert "smm-tracker unit | sudo tee /etc/systemd/system/smm-tracker.service" in text
    assert "smm-tracker unit --template |\n" in text
    assert "  sudo tee /etc/systemd/system/smm-tracker@.service\n" in text

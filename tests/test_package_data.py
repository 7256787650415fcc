"""The example config, the unit and its template ship inside the package,
identical to the top-level copies."""

from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_packaged_example_config_matches_the_top_level_one():
    packaged = files("tracker.data").joinpath("config.example.toml").read_text()
    assert packaged == (ROOT / "config.example.toml").read_text()


def test_no_line_of_the_example_config_is_wider_than_88_columns():
    # `smm-tracker init -` prints it: its comments ran to 211 columns, each
    # wrapped by the terminal at its edge (polish200).
    text = files("tracker.data").joinpath("config.example.toml").read_text(encoding="utf-8")
    wide = [line for line in text.splitlines() if len(line) > 88]
    assert wide == []


def test_packaged_unit_matches_the_top_level_one():
    packaged = files("tracker.data").joinpath("smm-tracker.service").read_text()
    assert packaged == (ROOT / "systemd" / "smm-tracker.service").read_text()


def test_packaged_template_matches_the_top_level_one():
    packaged = files("tracker.data").joinpath("smm-tracker@.service").read_text()
    assert packaged == (ROOT / "systemd" / "smm-tracker@.service").read_text()


def test_unit_command_prints_the_template_with_template():
    from click.testing import CliRunner

    from tracker.cli.main import main

    result = CliRunner().invoke(main, ["unit", "--template"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "systemd" / "smm-tracker@.service").read_text()


def test_unit_command_prints_the_packaged_unit():
    from click.testing import CliRunner

    from tracker.cli.main import main

    result = CliRunner().invoke(main, ["unit"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "systemd" / "smm-tracker.service").read_text()

"""README's CLI table names everything `--help` does, and as `--help` says it.

test_readme_manual.py checks that what the table names exists; this checks
the other way, as a user reading the table instead of `--help` would find
out: every option and argument of every command is in the command's row
(`add`'s type fields in the paragraph its `[type fields]` points to), every
global option in the section's first lines with its choices, and a default
a row shows (`demo [--orders 9]`) is the command's. A flag added without
its README row fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from tracker.cli.main import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
SECTION = README[README.index("\n## CLI") : README.index("\n## How tracking works")]
ROWS = re.findall(r"^\| `([^`]+)` \|", SECTION, re.M)
FLAG = r"(?<![\w-])(--[a-z][\w-]*)"


def commands() -> list[str]:
    return main.list_commands(click.Context(main))


def command(name: str) -> click.Command:
    found = main.get_command(click.Context(main), name)
    assert found is not None, name
    return found


def synopsis(name: str) -> str:
    """Return the first cells of the command's rows, and the flags the
    paragraph a row's `[type fields]` points to names (`add type fields:`)."""
    said = " ".join(row for row in ROWS if row.split()[0] == name)
    if "[type fields]" in said:
        paragraph = re.search(rf"^`{name}` type fields:(.*?)\n\n", README, re.M | re.S)
        assert paragraph, f"no '`{name}` type fields:' paragraph"
        said += " " + paragraph[1]
    return said


def options(cmd: click.Command) -> list[click.Option]:
    shown = [p for p in cmd.params if isinstance(p, click.Option) and not p.hidden]
    return [p for p in shown if "--help" not in p.opts]


@pytest.mark.parametrize("name", commands())
def test_every_option_and_argument_of_a_command_is_in_its_row(name):
    cmd, said = command(name), synopsis(name)
    flags = set(re.findall(FLAG, said))
    assert [p.opts[0] for p in options(cmd) if not flags & {*p.opts, *p.secondary_opts}] == []
    arguments = [p for p in cmd.params if isinstance(p, click.Argument)]
    words = set(re.findall(r"[A-Z_]+", said))  # ORDER_ID of "ORDER_ID... | -"
    metavars = {p.name: (p.metavar or p.name or "").split(".")[0].upper() for p in arguments}
    assert [name for name, metavar in metavars.items() if metavar not in words] == []


def test_every_global_option_is_in_the_section_with_its_choices():
    head = SECTION[: SECTION.index("\n| command |")]
    for option in options(main):
        assert option.opts[0] in head, option.opts[0]
        choices = getattr(option.type, "choices", None)
        if choices:
            said = re.search(rf"{option.opts[0]} ([\w|]+)", head)
            assert said and said[1].split("|") == list(choices), option.opts[0]


def shown_defaults() -> list[tuple[str, str, str]]:
    """Return (command, flag, value) for each `[--flag VALUE]` of a row whose
    VALUE is a value, not a metavar (`--orders 9`, not `--limit N`)."""
    found = []
    for row in ROWS:
        for flag, value in re.findall(r"\[(--[a-z][\w-]*) ([^\]\s|]+)\]", row):
            if not re.fullmatch(r"[A-Z][A-Z_\[\]=.]*", value):
                found.append((row.split()[0], flag, value))
    return found


def test_the_cli_table_shows_defaults():
    assert len(shown_defaults()) >= 5  # demo's, report's, dashboard's


@pytest.mark.parametrize(("name", "flag", "value"), shown_defaults())
def test_a_default_the_cli_table_shows_is_the_commands(name, flag, value):
    option = next(p for p in options(command(name)) if flag in p.opts)
    default = option.default
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        assert float(value) == default
    else:
        assert value == str(default)

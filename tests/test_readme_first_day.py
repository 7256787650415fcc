"""README's first-day steps, followed as written (newuser206's walk).

- "Run as a service" installs into /opt/smm-tracker/venv, whose `bin` is
  on no one's PATH: step 3's `smm-tracker unit | sudo tee ...` (and the
  template's) was "command not found" after step 1's install; every other
  line of the section names the venv's command.
- "Practise refills" ran `simulate --config-out tracker.toml` in the folder
  of the first walk, which has one: exit 2, "already exists; not
  overwriting it" (and the first simulator still holds port 8484)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tracker.cli.main import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
INSTALLED = ("/opt/smm-tracker/venv/bin/smm-tracker", "/usr/local/bin/smm-tracker")


def _section(title: str) -> str:
    """README's ``## title`` section, up to the next one of its level."""
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _blocks(text: str) -> list[str]:
    """The fenced code blocks of the text."""
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M)


def test_the_service_steps_run_the_command_where_step_1_installed_it():
    commands = "|".join(sorted(re.escape(name) for name in main.commands))
    # `smm-tracker unit`, `smm-tracker --config ...`: the command, not a unit's name
    # (`systemctl status smm-tracker`, `journalctl -u smm-tracker -f`).
    bare = re.compile(rf"(?<![\w/.@-])smm-tracker (?:--config|{commands})\b")
    section = _section("Run as a service")
    found = [line for block in _blocks(section) for line in block.splitlines() if bare.search(line)]
    assert found == []
    said = [line for block in _blocks(section) for line in block.splitlines()]
    assert any(f"{INSTALLED[0]} unit | sudo tee" in line for line in said)


def test_practise_refills_writes_its_config_where_none_is():
    # Each `$ ` line of the section's blocks in order, in the folder its cd's lead to.
    folder, written = Path("/home/me/try"), []
    for block in _blocks(_section("Try it: a panel to practise on")):
        for line in block.splitlines():
            if not line.startswith("$ "):
                continue
            words = shlex.split(line[2:], comments=True)
            for command in " ".join(words).split(" && "):
                said = command.split()
                if said[:1] == ["cd"]:
                    folder = Path(said[1].replace("~", "/home/me"))
                    folder = folder if folder.is_absolute() else Path("/home/me/try") / folder
                if said[:2] == ["smm-tracker", "simulate"] and "--config-out" in said:
                    written.append(folder / said[said.index("--config-out") + 1])
    assert len(written) == 2 and len(set(written)) == 2, written

"""`smm-tracker init`, then `doctor` at once, as README's first steps go:
the config `init` wrote has two things left to set, the key and the url,
and doctor names both in its first run.

newuser197: with the key's variable not set, doctor said only that, its
panel line "not called: fix its config problems first"; the url still
init's placeholder was said by the next doctor, once the key was set: a
newcomer fixed one, ran it again and found the other."""

from __future__ import annotations

import pytest
from simconfig import cli_in

PLACEHOLDER = (
    "skip panel main: key: environment variable SMM_API_KEY; not called: fix its config "
    "problems first, and its url: your-panel.example is the example config's placeholder, "
    "not a panel"
)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    return cli_in(tmp_path, monkeypatch, None, env={"SMM_API_KEY": None, "COLUMNS": "1000"})


def test_doctor_after_init_names_the_unset_key_and_the_placeholder_url(cli):
    assert cli("init").exit_code == 0
    result = cli("doctor")
    assert result.exit_code == 1, result.output
    assert "FAIL config: " in result.output, result.output
    assert "at 'panels[0].key_env': environment variable SMM_API_KEY is not set" in result.output
    assert PLACEHOLDER in result.output, result.output


def test_a_panel_with_its_own_url_is_said_as_before(cli, tmp_path):
    assert cli("init").exit_code == 0
    config = tmp_path / "tracker.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("your-panel.example", "127.0.0.1:9"), encoding="utf-8")
    result = cli("doctor")
    assert result.exit_code == 1, result.output
    assert "not called: fix its config problems first\n" in result.output, result.output
    assert "placeholder" not in result.output, result.output

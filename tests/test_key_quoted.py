"""A key pasted with its quote marks (``"k1..."`` written into a key file,
``key = "'k1...'"``, ``export SMM_API_KEY="'k1...'"``): refused in one line
naming where it came from and that it is in quotes, never the key. It was
taken and sent with its quotes, and the panel's "Invalid API key" said
nothing of why: `doctor` showed the key's source and "the panel refuses
this key", and the key itself looked right."""

from __future__ import annotations

import json

import pytest
import test_key_control_chars
from test_bad_input import KEY_LINE, one_line, write_config
from test_key_control_chars import ADD, KEY

cli = test_key_control_chars.cli  # the fixture: the real CLI in tmp_path

GOOD = KEY.format("")
QUOTED = {
    "double": f'"{GOOD}"',
    "single": f"'{GOOD}'",
    "curly": f"\u201c{GOOD}\u201d",
    "backtick": f"`{GOOD}`",
    "opening only": f'"{GOOD}',
    "closing only": f"{GOOD}'",
}
SAID = "(it is in quote marks: write the key alone)"


def _said_without_the_key(line: str) -> None:
    assert SAID in line, line
    assert GOOD not in line and "k1k2k3" not in line and "Zq9Wx8Vt" not in line, line


@pytest.mark.parametrize("name", list(QUOTED))
def test_a_key_file_holding_the_key_in_quotes_is_refused(cli, tmp_path, name):
    (tmp_path / "panel.key").write_text(QUOTED[name] + "\n", encoding="utf-8")
    config = write_config(tmp_path / "k.toml", key='key_file = "panel.key"')
    for args in (("run", "--once"), ADD, ("doctor",)):
        result = cli("--config", config, *args)
        if args == ("doctor",):  # one FAIL line for the config, the key never shown
            assert result.exit_code == 1, result.output
            fails = [line for line in result.output.splitlines() if line.startswith("FAIL")]
            assert len(fails) == 1 and "panels[0].key_file" in fails[0], result.output
            _said_without_the_key(fails[0])
            continue
        _said_without_the_key(one_line(result, "panels[0].key_file", "panel.key"))


@pytest.mark.parametrize("name", list(QUOTED))
def test_a_key_env_variable_holding_the_key_in_quotes_is_refused(cli, tmp_path, monkeypatch, name):
    monkeypatch.setenv("BAD_INPUT_KEY", QUOTED[name])
    config = write_config(tmp_path / "k.toml", key=KEY_LINE)
    for args in (("run", "--once"), ADD):
        line = one_line(cli("--config", config, *args), "panels[0].key_env", "BAD_INPUT_KEY")
        _said_without_the_key(line)


@pytest.mark.parametrize("name", list(QUOTED))
def test_a_key_in_the_config_written_with_its_quotes_is_refused(cli, tmp_path, name):
    config = write_config(tmp_path / "k.toml", key="key = " + json.dumps(QUOTED[name]))
    for args in (("run", "--once"), ADD):
        line = one_line(cli("--config", config, *args), "panels[0].key", "must be only the key")
        _said_without_the_key(line)


def test_a_key_with_a_quote_mark_inside_it_is_still_taken(cli, tmp_path, monkeypatch):
    """Only quotes at its ends are a paste's; the panel judges the rest."""
    monkeypatch.setenv("BAD_INPUT_KEY", "k1k2'k3Zq9Wx8Vt")
    config = write_config(tmp_path / "k.toml", key=KEY_LINE)
    result = cli("--config", config, "run", "--once")
    assert "quote marks" not in result.output, result.output
    assert "panels[0].key_env" not in result.output, result.output


ASSIGNED = {
    "variable": f"SMM_API_KEY={GOOD}",
    "lower": f"key={GOOD}",
    "api_key": f"api_key={GOOD}",
}
SAID_ASSIGNED = (
    "(it starts with a name and =, as an environment file writes it: write the key alone)"
)


@pytest.mark.parametrize("name", list(ASSIGNED))
def test_a_key_file_written_as_an_environment_file_is_refused(cli, tmp_path, name):
    """`SMM_API_KEY=k1...` in the key file: a line of an EnvironmentFile=,
    or of a panel's docs (`key=...`), copied whole. Sent whole, the panel
    said only "Invalid API key"."""
    (tmp_path / "panel.key").write_text(ASSIGNED[name] + "\n", encoding="utf-8")
    config = write_config(tmp_path / "k.toml", key='key_file = "panel.key"')
    for args in (("run", "--once"), ADD):
        line = one_line(cli("--config", config, *args), "panels[0].key_file", SAID_ASSIGNED)
        assert GOOD not in line and "k1k2k3" not in line and "SMM_API_KEY" not in line, line


def test_a_key_in_the_config_written_with_its_name_is_refused(cli, tmp_path):
    config = write_config(tmp_path / "k.toml", key=f'key = "key={GOOD}"')
    line = one_line(cli("--config", config, "run", "--once"), "panels[0].key", SAID_ASSIGNED)
    assert GOOD not in line, line


@pytest.mark.parametrize(
    "key", [f"{GOOD}==", f"abc={GOOD}", "Zq9Wx8Vt+k1k2k3/AbCdEf==", "monkeyZqWxVtkAbCdEf="]
)
def test_a_key_with_an_equals_sign_of_its_own_is_still_taken(cli, tmp_path, monkeypatch, key):
    """Base64's padding, a = inside: no name of a key before it."""
    monkeypatch.setenv("BAD_INPUT_KEY", key)
    config = write_config(tmp_path / "k.toml", key=KEY_LINE)
    result = cli("--config", config, "run", "--once")
    assert "environment file" not in result.output, result.output
    assert "panels[0].key_env" not in result.output, result.output

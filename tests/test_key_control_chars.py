"""A key holding a control character (ESC, NUL, DEL, a C1 control) given by
``key_env``, ``key_file`` or ``key``: refused in one line naming where it came
from and what is wrong, never the key nor the character. It was accepted and
sent: the panel said "Invalid API key" (or the request's form was the
terminal's), with nothing saying why. Only blanks were refused ("several
words": a newline inside still is)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_bad_input import KEY_LINE, one_line, write_config
from test_reload_failed_alert import _key_file_reload

from tracker.cli.main import main
from tracker.config.load import load_config
from tracker.errors import ConfigError

ADD = ("add", "--service", "1", "--link", "https://x.test/p")
CONTROLS = {"ESC": "\x1b", "NUL": "\x00", "DEL": "\x7f", "CSI": "\x9b", "BEL": "\x07"}
KEY = "k1k2k3{}Zq9Wx8Vt"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """The real CLI in ``tmp_path``, the key good in $BAD_INPUT_KEY (test_bad_input's)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("BAD_INPUT_KEY", "bad-input-key-Hq4Vn8Tz")
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def _said_without_the_key(line: str, control: str) -> None:
    assert "holds a control character" in line, line
    assert "k1k2k3" not in line and "Zq9Wx8Vt" not in line and control not in line, line


@pytest.mark.parametrize("name", list(CONTROLS))
def test_a_key_file_holding_a_control_character_is_refused(cli, tmp_path, name):
    control = CONTROLS[name]
    (tmp_path / "panel.key").write_text(KEY.format(control) + "\n")
    config = write_config(tmp_path / "k.toml", key='key_file = "panel.key"')
    for args in (("run", "--once"), ADD):
        line = one_line(cli("--config", config, *args), "panels[0].key_file", "panel.key")
        _said_without_the_key(line, control)
    assert cli("--config", config, "track", "101").exit_code == 0  # no key needed: works


@pytest.mark.parametrize("name", [n for n in CONTROLS if n != "NUL"])  # no NUL in an environment
def test_a_key_env_variable_holding_a_control_character_is_refused(
    cli, tmp_path, monkeypatch, name
):
    monkeypatch.setenv("BAD_INPUT_KEY", KEY.format(CONTROLS[name]))
    config = write_config(tmp_path / "k.toml", key=KEY_LINE)
    for args in (("run", "--once"), ADD):
        line = one_line(cli("--config", config, *args), "panels[0].key_env", "BAD_INPUT_KEY")
        _said_without_the_key(line, CONTROLS[name])


@pytest.mark.parametrize("name", [n for n in CONTROLS if n != "NUL"])  # NUL: its own line
def test_a_key_in_the_config_holding_a_control_character_is_refused(cli, tmp_path, name):
    key = "key = " + json.dumps(KEY.format(CONTROLS[name]))
    config = write_config(tmp_path / "k.toml", key=key)
    for args in (("run", "--once"), ADD):
        line = one_line(cli("--config", config, *args), "panels[0].key")
        _said_without_the_key(line, CONTROLS[name])


def test_a_key_of_letters_and_punctuation_is_still_taken(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(write_config_text('key = " k1-k2_k3.k4~Zq9/Wx8+Vt= "'))
    assert load_config(str(path), {}).panels[0].key.reveal() == "k1-k2_k3.k4~Zq9/Wx8+Vt="
    path.write_text(write_config_text('key = "k1k2\\u001bk3"'))
    with pytest.raises(ConfigError, match="holds a control character"):
        load_config(str(path), {})


def write_config_text(key: str) -> str:
    return (
        '[database]\npath = "t.db"\n\n'
        f'[[panels]]\nname = "p"\nurl = "http://127.0.0.1:9/api/v2"\n{key}\n'
    )


@pytest.mark.usefixtures("fresh_logs")
def test_a_key_file_given_a_control_character_at_reload_is_named_as_the_file_to_fix(
    tmp_path: Path,
) -> None:
    message = _key_file_reload(tmp_path, KEY.format("\x1b").encode() + b"\n")
    assert message.endswith(
        f"fix the key file {tmp_path / 'api-key'} (it must hold only the key: it holds a "
        "control character), then reload again"
    ), message
    _said_without_the_key(message, "\x1b")
    with sqlite3.connect(tmp_path / "t.db") as db:  # the alert `alerts` lists, the webhook gets
        assert [row[0] for row in db.execute("SELECT kind FROM alerts")] == ["config_reload_failed"]

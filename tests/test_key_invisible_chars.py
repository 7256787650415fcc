"""A key holding an invisible format character (a zero-width space, U+FEFF,
a zero-width (non-)joiner, the word joiner, a bidi control, a soft hyphen)
given by ``key_env``, ``key_file`` or ``key``: refused in one line naming
where it came from, never the key nor the character, as a control character
is (tests/test_key_control_chars.py). A key copied from a web page or a
chat often carries one; it was taken and sent, and the panel's "Invalid API
key" said nothing of why: the key looks right wherever it is shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_key_control_chars
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_bad_input import KEY_LINE, one_line, write_config
from test_key_control_chars import ADD, KEY, write_config_text
from test_reload_failed_alert import _key_file_reload

from tracker.config.load import load_config
from tracker.errors import ConfigError

INVISIBLE = {
    "ZWSP": "\u200b",
    "BOM": "\ufeff",
    "ZWNJ": "\u200c",
    "ZWJ": "\u200d",
    "WJ": "\u2060",
    "LRM": "\u200e",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "SHY": "\u00ad",
}
SAID = "must hold only the key (it holds an invisible character)"


cli = test_key_control_chars.cli  # the fixture: the real CLI in tmp_path


def _said_without_the_key(line: str, char: str) -> None:
    assert "it holds an invisible character" in line, line
    assert "k1k2k3" not in line and "Zq9Wx8Vt" not in line and char not in line, line


@pytest.mark.parametrize("name", list(INVISIBLE))
def test_a_key_file_holding_an_invisible_character_is_refused(cli, tmp_path, name):
    char = INVISIBLE[name]
    for key in (KEY.format(char), KEY.format("") + char):  # inside it, or after it
        (tmp_path / "panel.key").write_text(key + "\n", encoding="utf-8")
        config = write_config(tmp_path / "k.toml", key='key_file = "panel.key"')
        for args in (("run", "--once"), ADD):
            line = one_line(cli("--config", config, *args), "panels[0].key_file", "panel.key", SAID)
            _said_without_the_key(line, char)
    assert cli("--config", config, "track", "101").exit_code == 0  # no key needed: works


@pytest.mark.parametrize("name", list(INVISIBLE))
def test_a_key_env_variable_holding_an_invisible_character_is_refused(
    cli, tmp_path, monkeypatch, name
):
    monkeypatch.setenv("BAD_INPUT_KEY", INVISIBLE[name] + KEY.format(""))  # before it, pasted
    config = write_config(tmp_path / "k.toml", key=KEY_LINE)
    for args in (("run", "--once"), ADD):
        line = one_line(cli("--config", config, *args), "panels[0].key_env", "BAD_INPUT_KEY")
        _said_without_the_key(line, INVISIBLE[name])


@pytest.mark.parametrize("name", list(INVISIBLE))
def test_a_key_in_the_config_holding_an_invisible_character_is_refused(cli, tmp_path, name):
    key = "key = " + json.dumps(KEY.format(INVISIBLE[name]))
    config = write_config(tmp_path / "k.toml", key=key)
    for args in (("run", "--once"), ADD):
        line = one_line(
            cli("--config", config, *args),
            "panels[0].key",
            "must be only the key (it holds an invisible",
        )
        _said_without_the_key(line, INVISIBLE[name])


def test_a_key_file_saved_with_a_byte_order_mark_and_other_letters_are_still_taken(
    tmp_path: Path,
) -> None:
    # Notepad's "UTF-8 with BOM" writes U+FEFF first: no part of the key.
    (tmp_path / "panel.key").write_bytes("\ufeffk1k2k3Zq9Wx8Vt\n".encode())
    path = tmp_path / "c.toml"
    path.write_text(write_config_text('key_file = "panel.key"'))
    assert load_config(str(path), {}).panels[0].key.reveal() == "k1k2k3Zq9Wx8Vt"
    path.write_text(write_config_text('key = "ké1-ключ_k3"'), encoding="utf-8")
    assert load_config(str(path), {}).panels[0].key.reveal() == "ké1-ключ_k3"


@pytest.mark.usefixtures("fresh_logs")
def test_a_key_file_given_an_invisible_character_at_reload_is_named_as_the_file_to_fix(
    tmp_path: Path,
) -> None:
    message = _key_file_reload(tmp_path, KEY.format("\u200b").encode() + b"\n")
    assert message.endswith(
        f"fix the key file {tmp_path / 'api-key'} (it must hold only the key: it holds an "
        "invisible character), then reload again"
    ), message
    _said_without_the_key(message, "\u200b")


# Letters and marks that show as a blank or as nothing, neither a format
# character nor whitespace: taken and sent, the panel said "Invalid API key".
BLANK = {
    "HANGUL FILLER": "\u3164",
    "HANGUL CHOSEONG FILLER": "\u115f",
    "HANGUL JUNGSEONG FILLER": "\u1160",
    "HALFWIDTH HANGUL FILLER": "\uffa0",
    "BRAILLE BLANK": "\u2800",
    "COMBINING GRAPHEME JOINER": "\u034f",
    "VARIATION SELECTOR-16": "\ufe0f",
}


@pytest.mark.parametrize("name", list(BLANK))
def test_a_key_holding_a_character_that_shows_as_a_blank_is_refused(
    cli, tmp_path, monkeypatch, name
):
    char = BLANK[name]
    for key in (KEY.format(char), KEY.format("") + char, char + KEY.format("")):
        (tmp_path / "panel.key").write_text(key + "\n", encoding="utf-8")
        monkeypatch.setenv("BLANK_KEY", key)
        for field, line in (
            ("key_file", 'key_file = "panel.key"'),
            ("key_env", 'key_env = "BLANK_KEY"'),
            ("key", "key = " + json.dumps(key)),
        ):
            config = write_config(tmp_path / "k.toml", key=line)
            said = one_line(cli("--config", config, "run", "--once"), f"panels[0].{field}")
            _said_without_the_key(said, char)


@pytest.mark.parametrize("blank", ["\u00a0", "\u3000", "\u2003"])
def test_blanks_around_a_key_are_read_past_and_inside_it_are_several_words(
    tmp_path: Path, monkeypatch, blank: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(write_config_text('key_env = "BLANK_KEY"'))
    around = {"BLANK_KEY": f"{blank}k1k2k3Zq9Wx8Vt{blank}"}
    assert load_config(str(path), around).panels[0].key.reveal() == "k1k2k3Zq9Wx8Vt"
    with pytest.raises(ConfigError, match=r"it holds several words\)") as refused:
        load_config(str(path), {"BLANK_KEY": KEY.format(blank)})
    assert "k1k2k3" not in str(refused.value) and blank not in str(refused.value)

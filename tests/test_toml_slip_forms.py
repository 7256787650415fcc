"""A TOML slip's fix shows the form to write, not a value to copy.

Ops56: ``status_every = 20s`` said ``...: write text in double quotes:
status_every = "5m"``, which reads as the fix of the value (5m for 20s).
The fix now shows the form with the line's own key and a placeholder
(``status_every = "..."``), a made-up example when the key is none of the
config's, and never the line or its value (it may be the API key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli.main import main

SECRET = "slip-key-Zx8Kq2Lm5"


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        (
            "[schedule]\nstatus_every = 20s\n",
            'at line 2, column 18): write text in double quotes, as in status_every = "..."',
        ),
        ("[[panels]]\nname = main\n", 'write text in double quotes, as in name = "..."'),
        (f"[[panels]]\nkey = {SECRET}\n", 'write text in double quotes, as in key = "..."'),
        (
            f"[alerts]\nnotify = [tgram://{SECRET}/1]\n",
            'write text in double quotes, as in notify = ["...", "..."]',
        ),
        # A key of none of the config's (a typo): a made-up example, not it.
        ("[schedule]\nstaus_every = 5m\n", 'write text in double quotes, as in name = "main"'),
        # No "key =" before the slip: no quotes to add.
        ('[database] path = "t.db"\n', "column 12): one setting or [table] per line?"),
        (
            f'[alerts]\nwebhook_url = "https://hooks.example/?{SECRET}=1" x\n',
            "one setting or [table] per line?",
        ),
        (
            '[schedule]\nstatus_every = "5m"\nstatus_every = "1m"\n',
            "a key set twice in its table? keep one",
        ),
        # tomllib's "Cannot declare ('schedule',) twice": the table as written,
        # its own fix (it spoke of [[panels]] whatever the table).
        (
            "[schedule]\n[database]\n[schedule]\n",
            ": [schedule] written twice (at line 3, column 10): merge the two into one [schedule]",
        ),
        (
            '[metrics]\nlisten = ""\n[metrics]\n',
            ": [metrics] written twice (at line 3, column 9): merge the two into one [metrics]",
        ),
        # A panel written [panels], one bracket, after a [[panels]].
        (
            '[[panels]]\nname = "a"\n[panels]\nname = "b"\n',
            ": [panels] written twice (at line 3, column 8): each panel is its own "
            "[[panels]], with two brackets",
        ),
        # tomllib's "Cannot overwrite a value" at a [[table]] whose name came
        # before as a [table] (or a key): not a key set twice.
        (
            '[panels]\nname = "a"\n[[panels]]\nname = "b"\n',
            "(at line 3, column 9): a panel written [panels], with one bracket, before "
            "this one? each panel is its own [[panels]], with two brackets",
        ),
        (
            '[schedule]\nstatus_every = "5m"\n[[ schedule ]]\n',
            "(at line 3, column 13): [schedule] is one table, with one bracket: "
            "merge the two into one [schedule]",
        ),
        (
            f"[{SECRET}]\n[[{SECRET}]]\n",
            "(at line 2, column 21): a [[table]] named as a [table] or a key before it? "
            "give each its own name",
        ),
        # A table none of the config's (a pasted key, say): not said back.
        (
            f"[{SECRET}]\n[{SECRET}]\n",
            ": a table written twice (at line 2, column 20): merge the two into one",
        ),
        (
            f"[schedule.{SECRET}]\n[schedule.{SECRET}]\n",
            ": a table written twice (at line 2, column 29): merge the two into one",
        ),
        # A key alone on its line ("Expected '=' after a key"): the form to write.
        (
            '[database]\npath "t.db"\n',
            '(at line 2, column 6): a line without "= value"? each setting is key = value, '
            'as in path = "..." (a value pasted alone goes after its key\'s =)',
        ),
        (
            f'[[panels]]\nname = "main"\n{SECRET}\n',
            'a line without "= value"? each setting is key = value, as in name = "main" '
            "(a value pasted alone goes after its key's =)",
        ),
    ],
)
def test_a_toml_slip_shows_the_form_with_the_lines_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fix: str
) -> None:
    assert slip_said(tmp_path, monkeypatch, text).endswith(fix)


def slip_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> str:
    """Run `orders` with a config of ``text``; check it ends the command (exit 2)
    in one line saying "invalid TOML", neither the key in it nor a traceback;
    return that line."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "bad.toml").write_text(text)
    result = CliRunner().invoke(main, ["--config", "bad.toml", "orders"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "invalid TOML" in lines[0], result.output
    assert SECRET not in result.output and "Traceback" not in result.output
    return lines[0]

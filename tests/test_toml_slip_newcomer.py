"""More slips of a config written by hand for the first time, each one line
saying what to write (tests/test_toml_slip_forms.py has the others).

newuser197: a text without its closing quote said tomllib's words alone,
``Illegal character '\\n'``; a comma or semicolon after a value (as in JSON,
or a programming language) was told to "write text in double quotes", which
it was; ``True`` (Python's) too, which TOML writes ``true``; a Windows path's
``\\`` said ``Unescaped '\\' in a string`` alone. None of them said back the
line or its value: it may hold the API key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_toml_slip_forms import SECRET, slip_said

from tracker.cli.main import main

UNCLOSED = "a text without its closing quote? end it on its own line, as in"


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        # The closing quote left out: tomllib's "Illegal character '\n'".
        (
            '[[panels]]\nurl = "https://panel.example/api/v2\nname = "main"\n',
            f'(at line 2, column 36): {UNCLOSED} url = "..."',
        ),
        (f'[[panels]]\nkey = "{SECRET}\n', f'(at line 2, column 26): {UNCLOSED} key = "..."'),
        # The last line of the file, without its line end: "Unterminated string".
        (f'[[panels]]\nkey = "{SECRET}', f'{UNCLOSED} name = "main"'),
        # In single quotes: "Found invalid character '\n'" when a quote comes
        # later in the file, else 'Expected "\'"' at its end.
        (
            f"[[panels]]\nkey = '{SECRET}\nname = 'main'\n",
            f'(at line 2, column 26): {UNCLOSED} key = "..."',
        ),
        (f"[[panels]]\nkey = '{SECRET}\n", f'(at end of document): {UNCLOSED} name = "main"'),
        # A comma or semicolon after a value that is right.
        (
            '[[panels]]\nurl = "https://panel.example/api/v2",\n',
            "(at line 2, column 37): nothing goes after a setting's value on its line "
            "but a # comment: drop the ','",
        ),
        (
            f'[[panels]]\nkey = "{SECRET}";\n',
            "(at line 2, column 27): nothing goes after a setting's value on its line "
            "but a # comment: drop the ';'",
        ),
        # Python's True: TOML's booleans are lower case.
        (
            "[automation]\nreorder = True\n",
            "(at line 2, column 11): write true or false in lower case, as in reorder = true",
        ),
        (
            "[automation]\nreorder = FALSE\n",
            "write true or false in lower case, as in reorder = true",
        ),
        # A key that takes no boolean: no form of one for it.
        (
            "[[panels]]\nmax_batch = True\n",
            "(at line 2, column 13): write true or false in lower case",
        ),
        # A Windows path's backslash in double quotes.
        (
            '[database]\npath = "C:\\data\\t.db"\n',
            "(at line 2, column 13): a \\ in double quotes starts an escape: write the "
            "text in single quotes, as in path = '...', or each \\ as \\\\",
        ),
    ],
)
def test_a_newcomers_toml_slip_says_what_to_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fix: str
) -> None:
    line = slip_said(tmp_path, monkeypatch, text)
    assert line.endswith(fix), line


def test_a_value_that_is_text_without_quotes_still_says_to_quote_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``true`` in a text's place is no boolean slip: the old fix stands."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text("[schedule]\nstatus_every = Truely\n")
    result = CliRunner().invoke(main, ["--config", "bad.toml", "orders"])
    assert result.exit_code == 2, result.output
    assert result.output.rstrip().endswith(
        'write text in double quotes, as in status_every = "..."'
    ), result.output

"""A traceback in a console log line shows a panel's words escaped, never obeyed.

A job that crashes on a panel's answer logs its traceback; the exception's
message may carry the panel's words: an OSC 52 clipboard write, ESC[2J, a
right-to-left override, CR, and a newline followed by what reads as a log
line of its own. The fields of a console line were escaped, its traceback
printed as Python prints it. Both console renderers are run, each in a
process of its own with stderr into a file: structlog's key=value lines
(``--log-format console``) and the lines for a person at a terminal. JSON
lines escape everything themselves (checked as well), a panel's bidi and
invisible characters escaped in their values before that.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from simconfig import SOURCE

FORGED = "07:57:58 error    alert auth_failed panel=main: forged"
SCRIPT = f"""
import structlog
from tracker.cli.loglines import PersonLines
from tracker.service.logs import configure
fmt = {{"person": "console"}}.get(FORMAT, FORMAT)
person = (lambda colours: PersonLines(lambda: 100, colours)) if FORMAT == "person" else None
configure("info", fmt, journal=False, person=person)
log = structlog.get_logger("tracker.service.runs")
try:
    try:
        raise KeyError("inner \\x1b[2J")
    except KeyError:
        raise ValueError(
            "panel said \\x1b]52;c;cHduZWQ=\\x07\\u202eevil\\r\\n{FORGED}"
        )
except ValueError as exc:
    log.exception("job_failed", error=str(exc))
"""
# What a terminal obeys or a person cannot see (a line break aside).
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def logged(tmp_path: Path, fmt: str) -> str:
    out = tmp_path / f"{fmt}.stderr"
    with out.open("w") as stderr:
        env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NO_COLOR")}
        env.update(PYTHONPATH=SOURCE, NO_COLOR="1")
        script = f"FORMAT = {fmt!r}\n{SCRIPT}"
        subprocess.run([sys.executable, "-c", script], stderr=stderr, env=env, check=True)
    return out.read_text()


@pytest.mark.parametrize("fmt", ["console", "person"])
def test_a_traceback_carrying_a_panels_words_shows_them_escaped(tmp_path, fmt):
    text = logged(tmp_path, fmt)
    assert UNSAFE.search(text) is None, repr(text)
    lines = text.splitlines()
    # Still a traceback a person reads, line by line, both exceptions of it.
    assert text.count("\nTraceback (most recent call last):\n") == 2  # each on a line of its own
    assert any(line.startswith("KeyError: ") and "\\x1b[2J" in line for line in lines)
    [said] = [line for line in lines if line.startswith("ValueError: ")]
    assert "\\x1b]52;c;cHduZWQ=\\x07\\u202eevil\\r\\n" + FORGED in said
    # The panel's "line" is no line of the log.
    assert not any(line.startswith(FORGED) for line in lines)


def test_a_json_line_escapes_a_traceback_itself(tmp_path):
    [line] = logged(tmp_path, "json").splitlines()
    assert UNSAFE.search(line) is None
    event = json.loads(line)
    [raised, _] = event["exception"]
    # Decoded: C0 controls as JSON gives them back; a right-to-left override
    # (which JSON gives back raw too) as its escape, as a console line shows it.
    assert raised["exc_value"].startswith("panel said \x1b]52;c;cHduZWQ=\x07\\u202eevil\r\n")

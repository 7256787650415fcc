"""Secrets in log lines as the real logging setup writes them: a key cut by a
stray byte in UTF-16 text that reached a log line by another road than a
panel's answer (an exception's text, an alert sender's reply, a proxy's
page), and a secret's partial forms that must not blank ordinary words."""

from __future__ import annotations

import io
import json

import pytest
import structlog
from logcapture import fresh_logs  # noqa: F401  (fixture)
from test_redact_base64 import own_secrets  # noqa: F401  (fixture)

from tracker.redact import register_secret
from tracker.service.logs import configure


def _logged(secret: str, **fields: str) -> str:
    """Register ``secret`` as the CLI does, log one error line with ``fields``
    through the daemon's JSON logging, and return the line's fields as read back."""
    register_secret(secret)
    stream = io.StringIO()
    configure("info", "json", stream=stream, cache=False, journal=False)
    structlog.get_logger("tracker.test").error("status_failed", panel="main", **fields)
    return str(json.loads(stream.getvalue().splitlines()[-1]))


@pytest.mark.usefixtures("fresh_logs", "own_secrets")
@pytest.mark.parametrize("secret", ["password1", "Password1", "webhooks1"])
def test_a_secret_but_one_end_that_is_a_word_leaves_the_word_in_log_lines(secret):
    # "password1" registered (a webhook token, a notify password) blanked
    # "password" from every log line: its last character, a digit, made it
    # read as a token, cut off it left a word.
    word = secret[:-1].lower()
    line = _logged(secret, error=f"wrong {word}: {word} refused; sent {secret}")
    assert f"wrong {word}: {word} refused; sent ***" in line, line


@pytest.mark.usefixtures("fresh_logs", "own_secrets")
def test_a_secret_but_one_end_that_reads_as_a_token_is_still_blanked():
    line = _logged("Ab3dE9xZ", error="key Ab3dE9x, then b3dE9xZ, then Ab3dE9")
    assert "key ***, then ***, then Ab3dE9" in line, line

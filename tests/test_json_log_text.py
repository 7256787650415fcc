"""A panel's invisible characters in a JSON log line reach its reader escaped.

The daemon's JSON lines (a file, journald, a log shipper) are ASCII already:
json.dumps writes a right-to-left override as ``\\u202e``, so journalctl
shows the line as it is. But a shipper (or ``jq -r``) decodes the JSON, and
the decoded alert line's ``data`` held the panel's override, zero-width
space and C1 control raw: a log viewer reordered or hid them. The console
renderer shows them escaped; the JSON lines now do too, and what JSON itself
escapes (C0 controls: a newline, a tab) decodes as before.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import structlog
from logcapture import fresh_logs  # noqa: F401  (fixture)

from tracker.alerts.alerter import raise_alert
from tracker.rules.episodes import Alert
from tracker.service.logs import configure

BIDI = "US\u202eDSU\u200b\x9b31m\u2028\x7f"
SHOWN = "US\\u202eDSU\\u200b\\x9b31m\\u2028\\x7f"


def _lines(journal: bool) -> list[str]:
    stream = io.StringIO()
    configure("info", "json", stream=stream, cache=False, journal=journal)
    data = {"currency": BIDI, "counts": {BIDI: 2}, "refills": [{"status": BIDI}], "low": 10.0}
    raise_alert(Alert("balance_low", "main: low", panel="main", data=data))
    structlog.get_logger("tracker.test").warning("odd", error="line one\nline\ttwo")
    return stream.getvalue().splitlines()


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize("journal", [False, True])
def test_a_decoded_json_line_shows_a_panels_invisible_characters_escaped(journal) -> None:
    alert_line, odd_line = _lines(journal)
    if journal:
        assert alert_line.startswith("<4>")
        alert_line, odd_line = alert_line[3:], odd_line[3:]
    assert alert_line.isascii() and "\x7f" not in alert_line
    event: dict[str, Any] = json.loads(alert_line)
    assert event["data"] == {
        "currency": SHOWN,
        "counts": {SHOWN: 2},
        "refills": [{"status": SHOWN}],
        "low": 10.0,
    }
    # JSON's own escapes (C0) decode as they did: a newline is a newline.
    assert json.loads(odd_line)["error"] == "line one\nline\ttwo"

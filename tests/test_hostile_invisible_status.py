"""A status with invisible characters in it: a zero-width space, a byte
order mark, a soft hyphen or a direction mark (a status word pasted into a
panel's admin page, or a template's stray character), sent as PHP writes
them ("Completed\\u200b"). The word was unknown: the order never read
Completed, polled for ever, and an `unknown_status` alert said of a word
that looked exactly like "Completed". Such characters are now left out when
the word is read (the panel's text kept as it came in raw_status)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, statuses_panel
from logcapture import fresh_logs, json_entries  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

pytestmark = pytest.mark.usefixtures("fresh_logs", "quick_backoff")

KEY = "hostile-key-Invisible8Words2"
STATUSES = {
    "101": "Completed\u200b",
    "102": "\ufeffCompleted",
    "103": "Can\u00adceled",
    "104": "In progress\u200e",
    "105": "Par\u2060tial",
}
READ = {"101": "Completed", "102": "Completed", "103": "Canceled", "105": "Partial"}


def _unknown(stderr: str) -> list[Any]:
    return [
        e.get("status") or e.get("alert")
        for e in json_entries(stderr)
        if "unknown_status" in (str(e.get("event", "")), e.get("alert"))
    ]


def test_a_status_with_invisible_characters_is_read_as_its_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HostileServer(statuses_panel(dict(STATUSES))) as server:
        config = sim_config(server.url, json_logs=True, key_env="PANEL_KEY")
        cli = cli_in(tmp_path, monkeypatch, config, env={"PANEL_KEY": KEY})
        assert cli("track", *STATUSES).exit_code == 0
        ran = cli("run", "--once", "--all")
        assert ran.exit_code == 0, ran.stderr
        assert "Traceback" not in ran.stderr
        assert KEY not in ran.stderr + ran.stdout
        # Before: each of them an unknown word, told and alerted.
        assert _unknown(ran.stderr) == []
    for order, status in READ.items():
        listed = cli("orders", "--status", status)
        assert order in listed.stdout, (order, listed.stdout)
    in_progress = cli("orders", "--status", "In progress")
    assert "104" in in_progress.stdout  # still in progress: polled on


def test_a_refill_status_with_invisible_characters_is_read_as_its_word() -> None:
    from tracker.panel.parse_refill_status import parse_refill_status_single

    read = parse_refill_status_single("7", {"status": "Rejected\u200b"})
    assert (read.status, read.known_status) == ("Rejected", True)
    assert read.raw_status == "Rejected\u200b"  # the panel's text as it came

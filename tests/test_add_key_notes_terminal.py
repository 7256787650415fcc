"""`add --idempotency-key`'s notes on stderr on an 80-column terminal: the
add run again said `note: already placed under idempotency key 'row1' at
2026-12-07T08:23:50+00:00: order 795008; nothing sent`, 106 columns, its
moment as stored. There, as every other note, the moment reads "08:23 UTC"
and the line is wrapped at its words; piped, it is one line, as before."""

from __future__ import annotations

import re

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

from tracker.cli import screen as screen_module

KEY = "hostile-key-KeyNotes5512"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
ADD += ["--idempotency-key", "csv-row-17"]


@pytest.fixture
def cli(tmp_path, monkeypatch):
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "add":
            return json_reply({"order": 4501})
        return json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    yield cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY, "COLUMNS": "80"})
    server.stop()


def test_the_already_placed_note_fits_a_terminal_and_piped_is_one_line(cli, monkeypatch):
    assert cli(*ADD).stdout == "4501\n"
    piped = cli(*ADD)
    assert piped.stdout == "4501\n"
    assert re.fullmatch(
        r"note: already placed under idempotency key 'csv-row-17' at \d{4}-\d\d-\d\dT"
        r"\d\d:\d\d:\d\d\+00:00: order 4501; nothing sent\n",
        piped.stderr,
    )
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    shown = cli(*ADD)
    assert shown.stdout == "4501\n"  # what a script reads, the same
    lines = shown.stderr.splitlines()
    assert len(lines) >= 2 and all(len(line) <= 80 for line in lines)
    assert re.fullmatch(
        r"note: already placed under idempotency key 'csv-row-17' at "
        r"(?:\w{3} \d\d )?\d\d:\d\d UTC: order 4501; nothing sent",
        " ".join(line.strip() for line in lines),
    )

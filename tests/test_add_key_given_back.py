"""`add --idempotency-key` the panel refused: nothing placed, the key given
back. On a terminal the `idempotency_key_released` info line is not shown
(the one-off commands print their own sentence there), so the sentence
itself says the key may be used again; piped, the same words in its one
line, the log line as before. A re-run under the key is sent again."""

from __future__ import annotations

import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

from tracker.cli import screen as screen_module

pytestmark = pytest.mark.usefixtures("fresh_logs")

KEY = "hostile-key-GivenBack7731"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
ADD += ["--idempotency-key", "csv-row-17"]
FREED = "idempotency key 'csv-row-17' given back: the same key may be used again"


@pytest.fixture
def panel(tmp_path, monkeypatch):
    adds: list[dict[str, str]] = []

    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "add":
            adds.append(form)
            return json_reply({"error": "Not enough funds on balance"})
        return json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
    yield cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY, "COLUMNS": "80"}), adds
    server.stop()


def test_a_refusal_on_a_terminal_says_the_key_may_be_used_again(panel, monkeypatch):
    cli, adds = panel
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    shown = cli(*ADD)
    assert shown.exit_code == 1 and shown.stdout == ""
    assert "idempotency_key_released" not in shown.stderr, shown.stderr
    lines = shown.stderr.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    said = " ".join(line.strip() for line in lines)
    assert said.startswith("smm-tracker: sim: add: Not enough funds on balance; no order placed")
    assert said.endswith(f"; {FREED}"), said
    again = cli(*ADD)  # the same key: sent again, as the sentence said
    assert again.exit_code == 1 and len(adds) == 2


def test_piped_the_same_words_in_one_line(panel, monkeypatch):
    cli, _ = panel
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: False)
    piped = cli(*ADD)
    assert piped.exit_code == 1
    (told,) = [line for line in piped.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert told.endswith(f"; no order placed; {FREED}"), told
    assert "idempotency_key_released" in piped.stderr  # the log line, as before

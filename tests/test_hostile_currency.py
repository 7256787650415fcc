"""A panel's balance answer with a currency of 10 kB, escape sequences in it,
through the real CLI on loopback: `run --once`'s summary, `doctor` and
`balance` show it cut short and escaped, never as the panel wrote it.

Before, `balance` cut it to its cell, while `run --once`'s summary line (a
cron mail) and `doctor` carried the first 1,000 characters stored of it."""

from __future__ import annotations

import pytest
from hostile import HostileServer, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-Currency6104"
CURRENCY = "\x1b[2J\x1b[31mUSD\x07\r" + "C" * 10_000


@pytest.fixture
def cli(tmp_path, monkeypatch):
    def answer(form):
        if form.get("action") == "balance":
            return json_reply({"balance": "12.5", "currency": CURRENCY})
        return json_reply([])  # services: none

    with HostileServer(answer) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        yield cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "CCCC" in line]


@pytest.mark.parametrize("command", [["run", "--once"], ["doctor"]])
def test_a_currency_of_10_kb_is_shown_cut_short_and_escaped(cli, command):
    result = cli(*command)
    assert result.exit_code == 0, result.stdout + result.stderr
    (line,) = _lines(result.stdout)
    assert "balance 12.5" in line and "\\x1b[2J\\x1b[31mUSD\\x07" in line, line
    assert line.endswith("…") or "…)" in line or "… " in line, line
    assert line.count("C") < 60, line
    assert "\x1b" not in result.stdout + result.stderr


def test_balance_shows_it_cut_to_its_cell(cli):
    assert cli("run", "--once").exit_code == 0
    result = cli("balance")
    (line,) = _lines(result.stdout)
    assert line.count("C") < 60 and "\x1b" not in result.stdout, line

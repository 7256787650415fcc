"""A status item giving ``charge`` or ``currency`` twice, differently (JSON
with a key given twice, as a hand-built panel script can write): neither
value is believed (the charge stored before kept, no currency stored), and
the panel's two ways of stating it are said, once per order and values.

Before, both were dropped to none without a word. Through the real CLI
against a scripted panel."""

from __future__ import annotations

import sqlite3

from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-Twice77s"
PLAIN = b'{"5": {"status": "In progress", "remains": "10", "charge": "0.90", "currency": "USD"}}'
TWICE = (
    b'{"5": {"status": "In progress", "remains": "10", "charge": "0.90", "charge": "1.20",'
    b' "currency": "USD", "currency": "EUR"}}'
)


def _panel(answer: list[bytes]):
    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action == "status":
            return Reply(answer[0], 200)
        return json_reply({"balance": "10", "currency": "USD"} if action == "balance" else [])

    return respond


def test_a_charge_or_currency_given_twice_is_said_with_both_values(tmp_path, monkeypatch):
    answer = [PLAIN]
    with HostileServer(_panel(answer)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "5").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        answer[0] = TWICE
        runs = [cli("--log-level", "debug", "run", "--once", "--all") for _ in range(2)]
    assert [run.exit_code for run in runs] == [0, 0], runs[0].output
    charge = [[ln for ln in r.stderr.splitlines() if "status_charge_twice" in ln] for r in runs]
    money = [[ln for ln in r.stderr.splitlines() if "status_currency_twice" in ln] for r in runs]
    assert len(charge[0]) == 1 and "warning" in charge[0][0]
    assert "order=5" in charge[0][0] and "charges=['0.90', '1.20']" in charge[0][0]
    assert len(money[0]) == 1 and "warning" in money[0][0]
    assert "order=5" in money[0][0] and "currencies=['USD', 'EUR']" in money[0][0]
    # An earlier run told it: the next says it at debug (cron mails it no more).
    assert len(charge[1]) == 1 and "debug" in charge[1][0]
    assert len(money[1]) == 1 and "debug" in money[1][0]
    with sqlite3.connect(tmp_path / "t.db") as db:
        stored = list(db.execute("SELECT charge, currency FROM orders"))
    assert stored == [(0.9, "USD")]  # neither believed: what was stored before kept

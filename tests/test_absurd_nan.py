"""A status item's charge that is no number at all, NaN (as text or bare
JSON), is warned of as ``absurd_number`` like an infinity: the charge is
dropped either way, and the user was told only of the infinity. Through the
real CLI against a scripted panel on loopback."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hostile import HostileServer, json_reply, text_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-NotANumber63"


@pytest.mark.parametrize(
    ("charge", "shown"),
    [('"NaN"', "NaN"), ("NaN", "nan"), ('"nan"', "nan"), ('"Infinity"', "Infinity")],
    ids=["NaN as text", "bare NaN", "nan as text", "Infinity (as before)"],
)
def test_a_charge_that_is_not_a_number_is_warned_of_as_an_infinity_is(
    tmp_path, monkeypatch, charge, shown
):
    def respond(form: dict[str, str]):
        action = form.get("action")
        if action == "status":  # written by hand, as json.dumps writes no bare NaN
            item = f'{{"status": "In progress", "remains": "40", "charge": {charge}}}'
            return text_reply(f'{{"7": {item}}}')
        return json_reply({"balance": "10"} if action == "balance" else [])

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel="retries = 1", json_logs=True)
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        assert cli("track", "7", "--quantity", "100").exit_code == 0
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT status, remains, charge FROM orders").fetchall()
    assert rows == [("In progress", 40, None)]
    warned = [json.loads(line) for line in run.output.splitlines() if "absurd_number" in line]
    assert [(w["action"], w["field"], w["raw"]) for w in warned] == [("status", "charge", shown)]

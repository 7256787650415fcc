"""Two `add --idempotency-key` processes with the same key at once (a
script run twice, a cron job overlapping itself): one order is sent, never
two, and the second says the first may still be waiting for its answer
(it said "outcome unknown (interrupted before its answer was stored)": not
so, and a user checking the panel then found no order yet and was pointed
at --not-placed). Through the real CLI: the first add in-process, the second a process of
its own run by the scripted panel while it holds the first add's answer."""

from __future__ import annotations

import sqlite3

import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config
from test_idempotency_late import KEYED, _process

KEY = "hostile-key-LateAnswer5521"

pytestmark = pytest.mark.usefixtures("fresh_logs")


@pytest.mark.parametrize("answer", ["placed", "refused"])
def test_a_second_add_under_the_key_while_the_first_is_sending_sends_nothing(
    tmp_path, monkeypatch, answer
):
    adds: list[dict[str, str]] = []
    second: list = []

    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") != "add":
            return json_reply({"error": "Incorrect request"})
        adds.append(form)
        if len(adds) == 1:
            second.append(_process(tmp_path, KEYED))
            if answer == "refused":
                return json_reply({"error": "Not enough funds on balance"})
            return json_reply({"order": 4501})
        return json_reply({"order": 4502})

    server = HostileServer(respond).start()
    try:
        config = sim_config(server.url, panel='timeout = "90s"\nretries = 0')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        first = cli(*KEYED)
    finally:
        server.stop()
    [other] = second
    assert len(adds) == 1  # the second add sent nothing
    assert other.returncode == 1 and "Traceback" not in other.stderr, other.stderr
    said = other.stderr.strip().splitlines()[-1]
    assert said.startswith("smm-tracker: add: the add under idempotency key 'row-17' began at ")
    assert "may still be waiting for its answer" in said and "interrupted" not in said, said
    assert "; nothing sent: run this add again after 20" in said, said
    with sqlite3.connect(tmp_path / "t.db") as db:
        keys = db.execute("SELECT idempotency_key, status, order_id FROM idempotency_keys")
        rows = keys.fetchall()
    if answer == "placed":
        assert first.exit_code == 0 and first.stdout.strip().endswith("4501"), first.output
        assert rows == [("row-17", "Placed", 4501)]
    else:
        assert first.exit_code == 1 and rows == []  # the key given back: run it again

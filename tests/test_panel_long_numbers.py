"""A bare JSON integer longer than Python reads by default (4300 digits), in an
answer from a scripted panel on loopback, through the real CLI.

The answer is valid JSON: it held one number nobody can use. That number is
read as an unusable one, the way 1e400 (a float infinity) or "1e999999999"
already is for its field, and the rest of the answer as usual. Before, the
whole answer was "invalid JSON": retried, then the poll failed for every
order in it.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from hostile import HostileServer, json_reply, text_reply
from simconfig import cli_in, sim_config

from tracker.panel import parse, parse_account

KEY = "hostile-key-LongNum4300x"
LONG = "1" * 5000


def _status_answer(number: str) -> str:
    # Written by hand: json.dumps cannot write such an integer either.
    return (
        f'{{"7": {{"status": "In progress", "remains": {number}, "start_count": {number},'
        ' "charge": "0.5"},'
        ' "8": {"status": "In progress", "remains": "40", "charge": "0.25"}}'
    )


@pytest.mark.parametrize(
    ("number", "shown"),
    [(LONG, "1" * 59 + "…"), ("-" + "9" * 4400, "-" + "9" * 58 + "…"), ("1e400", "inf")],
    ids=["5000 digits", "minus 4400 digits", "1e400 (as before)"],
)
def test_one_unusable_number_leaves_the_rest_of_a_multi_status_answer_read(
    tmp_path, monkeypatch, number, shown
):
    def respond(form: dict[str, str]):
        action = form.get("action")
        if action == "status":
            return text_reply(_status_answer(number))
        return json_reply({"balance": "10"} if action == "balance" else [])

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel="retries = 1", json_logs=True)
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        assert cli("track", "7", "8", "--quantity", "100").exit_code == 0
        run = cli("run", "--once", "--all")
        statuses = [f for f in server.requests if f.get("action") == "status"]
    assert run.exit_code == 0, run.output
    assert "invalid JSON" not in run.output and "Traceback" not in run.output
    assert len(statuses) == 1  # read at once, never retried
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute(
            "SELECT order_id, status, remains, start_count, charge FROM orders ORDER BY order_id"
        ).fetchall()
    assert rows == [(7, "In progress", None, None, 0.5), (8, "In progress", 40, None, 0.25)]
    warned = [json.loads(line) for line in run.output.splitlines() if "absurd_number" in line]
    assert {(w["field"], w["raw"]) for w in warned} == {("remains", shown), ("start_count", shown)}


def test_a_services_listing_keeps_every_service_beside_an_unusable_maximum():
    body = (
        f'[{{"service": 1, "name": "Likes", "rate": "0.5", "min": 10, "max": {LONG}}},'
        ' {"service": 2, "name": "Views", "rate": "0.1", "min": 100, "max": 5000}]'
    ).encode()
    services = parse_account.parse_services(parse.decode_json(body))
    assert [(s.service, s.min, s.max) for s in services] == [(1, 10, None), (2, 100, 5000)]

"""A `remains` no count can be read from ("N/A", "4.5", "1.234" of a
decimal-comma panel, "abc", an object): read as none, the last good one
kept, as before; now said once per order (`remains_unreadable`, the order
and what the panel sent), at debug when an earlier run told it. Before, it
was dropped without a word: the order's remains stopped following the
panel's while `orders` showed the old one. A remains left out, null or
blank, and an absurd number (`absurd_number`'s), say nothing more. Through
the real CLI against a scripted panel on loopback."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

KEY = "hostile-key-Unread162Zq"
EVENT = "remains_unreadable"


def _panel(remains: dict[str, Any]):
    """A panel answering each asked order In progress with ``remains[ID]``."""

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action != "status":
            return json_reply({"balance": "10", "currency": "USD"} if action == "balance" else [])
        asked = form.get("orders", form.get("order", "")).split(",")
        items = {i: {"status": "In progress", "remains": remains[i], "charge": "1"} for i in asked}
        return Reply(json.dumps(items).encode(), 200)

    return respond


def _remains(tmp_path: Any) -> list[tuple[int, int | None]]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute("SELECT order_id, remains FROM orders ORDER BY order_id"))


@pytest.mark.usefixtures("fresh_logs")
def test_an_unreadable_remains_is_said_once_per_order_and_the_good_one_kept(tmp_path, monkeypatch):
    remains: dict[str, Any] = {"5": "100", "6": "100", "7": "100", "8": "100", "9": "100"}
    with HostileServer(_panel(remains)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "5", "6", "7", "8", "9").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        remains.update({"5": "N/A", "6": "4.5", "7": {"left": 3}, "8": None, "9": " "})
        runs = [cli("--log-level", "debug", "run", "--once", "--all") for _ in range(2)]
        listing = cli("orders", "--all").output
    assert [run.exit_code for run in runs] == [0, 0], runs[0].output
    assert "Traceback" not in "".join(run.output for run in runs)
    said = [[ln for ln in r.stderr.splitlines() if EVENT in ln] for r in runs]
    assert len(said[0]) == 3 and all("warning" in line for line in said[0]), said[0]
    assert any("order=5" in line and "remains=N/A" in line for line in said[0])
    assert any("order=6" in line and "remains=4.5" in line for line in said[0])
    assert any("order=7" in line and "left" in line for line in said[0])
    # An earlier run told it: the next run says it at debug (cron mails it no more).
    assert len(said[1]) == 3 and all("debug" in line for line in said[1]), said[1]
    # Kept, as before: the last good remains, every order still polled.
    assert _remains(tmp_path) == [(5, 100), (6, 100), (7, 100), (8, 100), (9, 100)]
    assert listing.count("In progress") == 5


@pytest.mark.usefixtures("fresh_logs")
def test_an_absurd_remains_is_told_as_absurd_only(tmp_path, monkeypatch):
    remains: dict[str, Any] = {"5": "100"}
    with HostileServer(_panel(remains)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "5").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0
        remains["5"] = "1e999999999"
        run = cli("run", "--once", "--all")
    assert run.exit_code == 0, run.output
    assert "absurd_number" in run.stderr
    assert EVENT not in run.stderr
    assert _remains(tmp_path) == [(5, 100)]

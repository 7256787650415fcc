"""A panel's quirks told once across `run --once` runs, not once a run.

Under cron each run is a process of its own: a panel printing PHP notices
around its JSON (``panel_prints_notices``), answering a number no parser
reads (``absurd_number``) or a remains that is no delivery figure
(``remains_not_a_delivery_figure``) was warned by every run, a mail a
minute at ``--log-level warning``. Each is kept in ``alert_state`` (no
alert) per panel, quirk and URL: told by the first run, at debug by the
runs after it, told again once absent for a day or at another URL. Through
the real CLI against a scripted panel on loopback.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

from tracker.sim.scripts import HTML_NOTICE

KEY = "hostile-key-Quirks0nce20"
QUIRKS = ("absurd_number", "panel_prints_notices", "remains_not_a_delivery_figure")
GOOD = {"status": "In progress", "remains": "400", "start_count": "10", "charge": "0.9"}
# 5000 left of 1000 (over the good 400 stored), a start count no parser reads.
ODD = {"status": "In progress", "remains": "5000", "start_count": "1e999999999", "charge": "0.9"}


def _panel(answer: list[dict[str, Any]]):
    """A panel answering order 5 with ``answer[0]``, PHP notices before the
    JSON once it is ODD."""

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action")
        if action != "status":
            return json_reply({"balance": "10", "currency": "USD"} if action == "balance" else [])
        body = json.dumps({"5": answer[0]}).encode()
        if answer[0] is ODD:
            return Reply(HTML_NOTICE + body, 200, {"Content-Type": "text/html"})
        return json_reply({"5": answer[0]})

    return respond


@pytest.fixture
def cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Yield (run, move): ``run()`` a `run --once --all` at --log-level
    warning, returning the quirks its stderr warns (sorted); ``move()``
    the config's URL to another spelling of the same panel."""
    answer = [GOOD]
    with HostileServer(_panel(answer)) as server:
        cli = cli_in(tmp_path, monkeypatch, sim_config(server.url), env={"SIM_KEY": KEY})
        assert cli("track", "5", "--quantity", "1000").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0  # 400 left: a good one stored
        answer[0] = ODD

        def run() -> list[str]:
            ran = cli("--log-level", "warning", "run", "--once", "--all")
            assert ran.exit_code == 0, ran.output
            return sorted(q for line in ran.stderr.splitlines() for q in QUIRKS if q in line)

        def move() -> None:
            url = server.url.replace("127.0.0.1", "localhost")
            assert url != server.url
            (tmp_path / "tracker.toml").write_text(sim_config(url))

        yield run, move


def test_each_quirk_is_told_by_the_first_run_alone(cron, tmp_path):
    run, _ = cron
    assert run() == list(QUIRKS)
    assert run() == []  # before: all three again, every run
    assert run() == []
    with sqlite3.connect(tmp_path / "t.db") as db:  # kept in alert_state, no alert raised
        assert db.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
        kept = db.execute(  # the quirks' (its empty catalogue's too: services_listed_none)
            "SELECT kind, active FROM alert_state WHERE kind LIKE '%@%' ORDER BY kind"
        ).fetchall()
    assert [(kind.partition("@")[0], active) for kind, active in kept] == [
        (quirk, 0) for quirk in QUIRKS
    ]


def _absent(tmp_path: Path, hours: float) -> None:
    """Make the quirks last seen ``hours`` ago, as runs without them would leave them."""
    then = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
    with sqlite3.connect(tmp_path / "t.db") as db:
        kinds = db.execute(
            "UPDATE alert_state SET since = ?, last_sent_at = ? WHERE kind LIKE '%@%'",
            [then, then],
        ).rowcount
    assert kinds == 3


def test_a_quirk_absent_for_a_day_is_told_again(cron, tmp_path):
    run, _ = cron
    assert run() == list(QUIRKS)
    _absent(tmp_path, 23)
    assert run() == []  # seen within the day
    _absent(tmp_path, 25)
    assert run() == list(QUIRKS)  # absent for a day: told again
    assert run() == []


def test_a_quirk_is_told_again_at_another_url(cron, tmp_path):
    run, move = cron
    assert run() == list(QUIRKS)
    move()
    assert run() == list(QUIRKS)
    assert run() == []
    with sqlite3.connect(tmp_path / "t.db") as db:  # the old URL's rows forgotten
        quirks = "SELECT count(*) FROM alert_state WHERE kind LIKE '%@%'"
        assert db.execute(quirks).fetchone() == (3,)

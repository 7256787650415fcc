"""``run --once`` from cron at a panel's new URL begins its runs of failures
anew there: ``status_failing``'s run of failed polls (and
``panel_unreachable``'s of failed calls) counted by the runs at the old URL
and kept in ``alert_state`` is the old URL's (moved146: the first run at the
new URL carried it, and alerted at once, "for 20m"), as its failed-run
counts already were (:mod:`tracker.store.run_counts`). Its failures are a
new story: ``status_failed`` told at error, not at debug as one going on.

The real CLI against a scripted panel on loopback; the earlier runs' 20
minutes of failures written into ``alert_state`` as they left them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

pytestmark = pytest.mark.usefixtures("quick_backoff")

KEY = "cron-moved-key-Hj4Kl6Mn8"


class Panel:
    """Balance and services answered unless ``down``; status calls fail."""

    def __init__(self) -> None:
        self.down = False

    def __call__(self, form: dict[str, str]) -> Reply:
        if self.down or form.get("action") == "status":
            return json_reply({"error": "Internal Server Error"}, 500)
        if form.get("action") == "balance":
            return json_reply({"balance": "5.00", "currency": "USD"})
        return json_reply([])


@pytest.fixture
def cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Yield (run, panel, move, db): run() is `run --once --all` at
    ``--log-level warning`` (its stderr); move() gives the panel another URL
    (the same server, a trailing slash); db the database's path."""
    panel = Panel()
    with HostileServer(panel) as server:
        extra = 'retries = 0\ntimeout = "30s"\n[refill]\nenabled = false'
        cli = cli_in(
            tmp_path, monkeypatch, sim_config(server.url, panel=extra), env={"SIM_KEY": KEY}
        )
        assert cli("track", "101").exit_code == 0
        path = tmp_path / "tracker.toml"

        def run() -> str:
            ran = cli("--log-level", "warning", "run", "--once", "--all")
            assert "Traceback" not in ran.stderr and KEY not in ran.stderr
            return ran.stderr

        def move() -> None:
            path.write_text(path.read_text().replace(f'"{server.url}"', f'"{server.url}/"'))

        yield run, panel, move, cli, tmp_path / "t.db"


def failing_for_20_minutes(db: Path, kind: str) -> str:
    """Leave ``kind``'s run as earlier runs failing each minute for 20 minutes
    would have (not alerted yet: ``alerts.unreachable_after`` is 15m, the
    run past it alerts at its next failure); return its since."""
    now = datetime.now(UTC)
    since = (now - timedelta(minutes=20)).isoformat(timespec="seconds")
    last = (now - timedelta(minutes=1)).isoformat(timespec="seconds")
    with sqlite3.connect(db) as conn:
        updated = conn.execute(
            "UPDATE alert_state SET active = 0, since = ?, last_sent_at = ? "
            "WHERE panel = 'sim' AND kind = ?",
            [since, last, kind],
        ).rowcount
    assert updated == 1
    return since


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def alerted(db: Path) -> list[str]:
    return [kind for (kind,) in rows(db, "SELECT kind FROM alerts ORDER BY id")]


def episode(db: Path, kind: str) -> tuple[Any, ...]:
    [row] = rows(
        db, f"SELECT active, since FROM alert_state WHERE panel = 'sim' AND kind = '{kind}'"
    )
    return row


def test_a_run_at_the_same_url_carries_the_run_and_alerts(cron) -> None:
    run, panel, move, cli, db = cron
    run()
    since = failing_for_20_minutes(db, "status_failing")
    said = run()
    assert alerted(db) == ["status_failing"]
    assert episode(db, "status_failing") == (1, since)
    assert " status_failed " not in said  # told by the first run: at debug


def test_a_run_at_a_new_url_begins_the_run_of_failed_polls_anew(cron) -> None:
    run, panel, move, cli, db = cron
    run()
    since = failing_for_20_minutes(db, "status_failing")
    move()
    began = datetime.now(UTC).replace(microsecond=0).isoformat()
    said = run()
    assert alerted(db) == []  # before: status_failing "for 20m" at once
    active, counted = episode(db, "status_failing")
    assert active == 0 and counted >= began and counted != since
    assert " status_failed " in said  # a new story: told (before: at debug)
    warned = [line for line in cli("doctor").output.splitlines() if line.startswith("warn panel")]
    assert warned and f"status polls have failed since {counted};" in warned[0]


def test_a_run_at_a_new_url_begins_the_run_of_failed_calls_anew(cron) -> None:
    run, panel, move, cli, db = cron
    panel.down = True
    run()
    failing_for_20_minutes(db, "panel_unreachable")
    move()
    began = datetime.now(UTC).replace(microsecond=0).isoformat()
    run()
    assert alerted(db) == []  # before: panel_unreachable "for 20m" at once
    active, counted = episode(db, "panel_unreachable")
    assert active == 0 and counted >= began

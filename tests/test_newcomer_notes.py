"""What a new user meets right after `track`: `orders` on a terminal showed
only PANEL ORDER, every other column blank, and no word why; `track`
without `--quantity` said nothing of DELIVERED staying unknown. Each now
says it in a note on stderr (stdout holds the table alone, as scripts
read it), on a terminal wrapped at its words, piped one line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from simconfig import terminal_sim

from tracker.cli import screen as screen_module
from tracker.cli.main import main
from tracker.service.lock import DatabaseLock
from tracker.sim.server import SimulatedPanel

KEY = "newcomer-key-Hq7Tz2Lm4Pw9"
NOT_CHECKED = "not checked on the panel yet, so their status is blank"
CHECKS = "smm-tracker run --once checks them now; the daemon (smm-tracker run) within"


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedPanel]:
    with terminal_sim(tmp_path, monkeypatch, KEY, schedule='status_every = "2m"') as sim:
        yield sim


def cli(monkeypatch: pytest.MonkeyPatch, *args: str, terminal: bool = False) -> Result:
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: terminal)
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: terminal)
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _said(result: Result) -> str:
    return " ".join(line.strip() for line in result.stderr.splitlines())


def test_orders_right_after_track_says_they_are_not_checked_yet_and_what_checks(panel, mp):
    ids = [str(order) for order in panel.seed_orders(2, status="In progress")]
    cli(mp, "track", *ids)
    piped = cli(mp, "orders")
    assert [line.split()[1] for line in piped.stdout.splitlines()[1:]] == ids[::-1]
    (note,) = piped.stderr.splitlines()  # one line piped
    assert note == (
        f"(orders {ids[1]}, {ids[0]} {NOT_CHECKED}: {CHECKS} schedule.status_every (2m))"
    )
    shown = cli(mp, "orders", terminal=True)
    lines = shown.stderr.splitlines()
    assert len(lines) >= 2 and all(len(line) <= 80 for line in lines), lines
    assert _said(shown) == note
    cli(mp, "run", "--once")
    checked = cli(mp, "orders", terminal=True)
    assert NOT_CHECKED not in _said(checked) and "not checked" not in checked.stderr


def test_with_a_daemon_running_the_note_says_it_checks_them_not_run_once(panel, mp, tmp_path):
    # `run --once` is refused while the daemon holds the database: not suggested then.
    ids = [str(order) for order in panel.seed_orders(2, status="In progress")]
    cli(mp, "track", *ids)
    # The daemon (smm-tracker run) running on t.db, reading this config (its lock file says).
    with DatabaseLock(tmp_path / "t.db", config=tmp_path / "tracker.toml"):
        (note,) = cli(mp, "orders").stderr.splitlines()
        refused = CliRunner().invoke(main, ["run", "--once"])
    assert refused.exit_code != 0 and "daemon" in refused.output  # as the note now says
    assert note == (
        f"(orders {ids[1]}, {ids[0]} {NOT_CHECKED}: the daemon running on this database "
        f"(pid {os.getpid()}) checks them within schedule.status_every (2m))"
    )
    assert "run --once" not in note
    with DatabaseLock(tmp_path / "t.db", once=True):  # cron's run --once, still going
        (note,) = cli(mp, "orders").stderr.splitlines()
    assert note.endswith(
        f"{NOT_CHECKED}: smm-tracker run --once checks them once the one running now "
        f"(pid {os.getpid()}) ends; the daemon (smm-tracker run) within "
        "schedule.status_every (2m))"
    )
    (note,) = cli(mp, "orders").stderr.splitlines()  # nothing runs: as before
    assert f"{NOT_CHECKED}: {CHECKS} schedule.status_every (2m))" in note


def test_one_order_not_checked_is_said_in_the_singular(panel, mp):
    (order,) = panel.seed_orders(1, status="In progress")
    cli(mp, "track", str(order), "--quantity", "100")
    said = cli(mp, "orders").stderr
    assert f"(order {order} not checked on the panel yet, so its status is blank: " in said
    assert "smm-tracker run --once checks it now;" in said


def test_track_without_quantity_says_delivered_stays_unknown(panel, mp):
    first, second = (str(order) for order in panel.seed_orders(2, status="In progress"))
    told = cli(mp, "track", first, terminal=True)
    assert told.stdout == "tracking 1 new order on sim\n"
    assert _said(told) == (
        "note: tracked without --quantity: DELIVERED stays unknown for this order (no "
        f"panel's status says the quantity ordered); smm-tracker track {first} --quantity Q "
        "fills it in"
    )
    assert all(len(line) <= 80 for line in told.stderr.splitlines())
    given = cli(mp, "track", second, "--quantity", "100")
    assert given.stderr == ""  # the quantity given: nothing to say
    again = cli(mp, "track", first)  # already tracked: said once, when it was tracked
    assert again.stderr == ""


@pytest.fixture
def mp(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return monkeypatch


def test_the_command_the_quantity_note_gives_fills_delivered_in(panel, mp):
    (order,) = panel.seed_orders(1, status="In progress")
    told = cli(mp, "track", str(order)).stderr
    command = told[told.index("smm-tracker track") : told.index(" fills it in")]
    cli(mp, *command.replace("Q", "100").split()[1:])
    cli(mp, "run", "--once")
    (row,) = json.loads(cli(mp, "orders", "--json").stdout)
    assert row["quantity"] == 100 and row["remains"] is not None, row

"""prune drops every alert_state row of a panel gone from the config (ux173).

ux163 had prune delete the ``run_url#<digest>`` row of a panel the config no
longer names and the database holds no order of; its other rows (a quirk
told once, a failing job's line told, an episode left open) stayed forever.
A prune of every panel (the command's, not ``--dry-run``, and the daemon's)
now deletes them all, and says how many as it says each table's rows
(``alert_state``); never a configured panel's, nor one whose orders are in
the file, nor the alert targets' outages (kept under no panel's name)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_prune import EXPECTED, NOW, OLD, build, rows, setup, shown  # noqa: F401  (fixture)
from test_prune_run_urls import URL, _order_of, _ran_at, sim_and_new

from tracker.jobs.prune import AutoPrune
from tracker.rules.quirks import quirk_kind

# What a panel leaves in alert_state but its last run's URL (_ran_at).
MARKS = [
    (quirk_kind("panel_prints_notices", URL), 0, None),  # a quirk told once
    ("balance_failed", 0, None),  # a failing job's line told once
    ("panel_unreachable", 1, OLD),  # an episode left open
]


def _marked(db, *panels: str) -> None:
    """Each panel's rows as its runs leave them (its last run's URL too)."""
    _ran_at(db, *panels)
    with sqlite3.connect(db) as c:
        for panel in panels:
            for kind, active, sent in MARKS:
                c.execute(
                    "INSERT INTO alert_state (panel, kind, active, since, last_sent_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (panel, kind, active, OLD, sent),
                )
        c.execute(  # the webhook's outage: no panel's
            "INSERT OR IGNORE INTO alert_state (panel, kind, active, since) "
            "VALUES ('', 'webhook', 1, ?)",
            (OLD,),
        )


def _said(output: str) -> dict[str, int]:
    """The rows prune says it deleted, per table (piped: every table, 0s too)."""
    return {table: n for table, n in shown(output.split("deleted:")[1]).items() if n}


def _kept(db) -> dict[str, int]:
    found = rows(db, "SELECT panel, count(*) FROM alert_state GROUP BY panel")
    return {panel: n for panel, n in found if panel != "sim" or n}


def test_prune_deletes_every_row_of_a_panel_gone_and_says_how_many(setup):  # noqa: F811
    cli, db = setup  # the config names panel sim alone
    _order_of(db, "left")  # removed from the config, its order still in the file
    _marked(db, "sim", "gone", "left")
    before = _kept(db)
    assert before == {"": 1, "sim": 5, "gone": 4, "left": 4}  # sim's balance_low too
    dry = cli("prune", "--older-than", "365d", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert shown(dry.output) == {**EXPECTED, "alert_state": 4}  # gone's: all four
    assert _kept(db) == before  # a dry run deletes nothing
    one = cli("prune", "--older-than", "365d", "--yes", "--panel", "sim")
    assert one.exit_code == 0 and "alert_state" not in one.output, one.output
    assert _kept(db) == before  # one panel's prune: nothing of the others'
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    # sim's old history went before; gone's older balance check and its marks now
    assert _said(result.output) == {"balances": 1, "alert_state": 4}, result.output
    assert _kept(db) == {"": 1, "sim": 5, "left": 4}  # gone's were kept forever


def test_a_prune_with_nothing_old_deletes_them_and_says_so(setup):  # noqa: F811
    cli, db = setup
    assert cli("prune", "--older-than", "365d", "--yes").exit_code == 0  # the old history gone
    _marked(db, "gone")
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    assert "nothing to delete" not in result.output
    assert _said(result.output)["alert_state"] == 4, result.output
    assert "gone" not in _kept(db) and "" in _kept(db)
    again = cli("prune", "--older-than", "365d", "--yes")
    assert "nothing to delete" in again.output and "alert_state" not in again.output


@pytest.mark.usefixtures("fresh_logs")
def test_the_daemons_prune_deletes_them_and_logs_how_many(tmp_path):
    db = tmp_path / "t.db"
    build(db)
    _marked(db, "sim", "new", "gone")
    two = sim_and_new(tmp_path)
    with capture_logs() as logs:
        assert AutoPrune(two, threading.Event(), clock=lambda: NOW).run() is True
    (done,) = [line for line in logs if line["event"] == "prune_done"]
    assert done["deleted"]["alert_state"] == 4 and done["deleted"]["orders"] == 6
    assert "gone" not in _kept(db) and _kept(db)["new"] == 4
    _marked(db, "gone")  # nothing old enough left: still said
    with capture_logs() as logs:
        assert AutoPrune(two, threading.Event(), clock=lambda: NOW).run() is True
    (done,) = [line for line in logs if line["event"] == "prune_done"]
    assert done["deleted"]["alert_state"] == 4 and done["deleted"]["orders"] == 0
    assert "gone" not in _kept(db) and set(_kept(db)) == {"", "sim", "new"}

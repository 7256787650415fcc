"""prune drops the last-run URL rows of panels gone from the config (ux163).

Each panel's ``run_url#<digest>`` row in ``alert_state`` (the URL its last
run ran at: :mod:`tracker.store.run_counts`) stayed forever once the panel
was removed from the config. A prune of every panel (the command's, not
``--dry-run``, and the daemon's) now deletes those of panels the config no
longer names and the database holds no order of; a configured panel's row
is kept, with orders or none yet, and so is one whose orders are still in
the file (left out of the config, maybe for a while). Since ux173 with the
panel's other alert_state rows (tests/test_prune_gone_panels.py), and
counted: prune says how many (``alert_state``)."""

from __future__ import annotations

import sqlite3
import threading

from test_prune import EXPECTED, NOW, build, rows, setup, shown  # noqa: F401  (fixture)

from tracker.config.load import config_from_dict
from tracker.jobs.prune import AutoPrune
from tracker.store.orders import Store
from tracker.store.run_counts import moved_since_last_run, run_url_mark

URL = "http://127.0.0.1:9/api/v2"


def sim_and_new(tmp_path):
    """A config of panels sim and new (new: configured, no order yet), its
    daemon pruning at 365 days."""
    return config_from_dict(
        {
            "database": {"path": "t.db", "prune_older_than": "365d"},
            "panels": [
                {"name": "sim", "url": URL, "key": "k" * 12},
                {"name": "new", "url": URL, "key": "n" * 12},
            ],
        },
        base_dir=tmp_path,
        env={},
    )


def _ran_at(db, *panels: str) -> None:
    """Each panel's last run kept at URL, as a run keeps it."""
    store = Store(db)
    try:
        moved_since_last_run(store, dict.fromkeys(panels, URL), NOW)
    finally:
        store.close()


def _kept(db) -> set[str]:
    return {p for (p,) in rows(db, "SELECT panel FROM alert_state WHERE kind GLOB 'run_url#*'")}


def _order_of(db, panel: str) -> None:
    with sqlite3.connect(db) as c:  # still polled: no prune takes it
        c.execute(
            "INSERT INTO orders (panel, order_id, status, created_at, updated_at, polling) "
            "VALUES (?, 1, 'Pending', ?, ?, 1)",
            (panel, NOW.isoformat(), NOW.isoformat()),
        )


def test_prune_deletes_the_run_url_rows_of_panels_gone_from_config_and_database(setup):  # noqa: F811
    cli, db = setup  # the config names panel sim alone
    _order_of(db, "left")  # removed from the config, its order still in the file
    _ran_at(db, "sim", "gone", "left")
    assert cli("prune", "--older-than", "365d", "--dry-run").exit_code == 0
    assert _kept(db) == {"sim", "gone", "left"}  # a dry run deletes nothing
    assert cli("prune", "--older-than", "365d", "--yes", "--panel", "sim").exit_code == 0
    assert _kept(db) == {"sim", "gone", "left"}  # one panel's prune: its own rows alone
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    assert _kept(db) == {"sim", "left"}  # was every one, for ever
    mark = "SELECT kind FROM alert_state WHERE panel = 'sim' AND kind GLOB 'run_url#*'"
    assert rows(db, mark) == [(run_url_mark(URL),)]  # sim's next run: not moved
    _ran_at(db, "gone2")  # a panel removed later: the next prune, with nothing old
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0 and "nothing to delete" not in result.output, result.output
    assert shown(result.output.split("deleted:")[1])["alert_state"] == 1  # said (ux173)
    assert _kept(db) == {"sim", "left"}


def test_what_prune_says_it_deleted_counts_them(setup):  # noqa: F811
    cli, db = setup
    _ran_at(db, "sim", "gone")
    result = cli("prune", "--older-than", "365d", "--yes")
    assert result.exit_code == 0, result.output
    assert shown(result.output) == {**EXPECTED, "alert_state": 1}  # said as a table's (ux173)
    assert _kept(db) == {"sim"}


def test_the_daemons_prune_deletes_them_too_and_keeps_a_configured_panels(tmp_path):
    db = tmp_path / "t.db"
    build(db)
    _ran_at(db, "sim", "new", "gone")
    two = sim_and_new(tmp_path)
    assert AutoPrune(two, threading.Event()).run() is True
    assert _kept(db) == {"sim", "new"}
    _ran_at(db, "gone")
    assert AutoPrune(two, threading.Event()).run() is True  # nothing old enough left
    assert _kept(db) == {"sim", "new"}

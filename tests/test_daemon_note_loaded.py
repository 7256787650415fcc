"""`orders`' note of orders not checked yet when the daemon running has not
loaded their panel: added to the config file since the daemon read it (its
lock file's panels= line names the panels it has loaded: ux187), or not in
the config it runs. The note said the daemon checks them within
schedule.status_every, and nothing did until a reload."""

from __future__ import annotations

import os

from test_daemon_note_panel import DAEMON, EVERY, _note, _second_panel, _tracked
from test_newcomer_notes import NOT_CHECKED, cli, mp, panel  # noqa: F401  (fixtures)

from tracker.service.lock import DatabaseLock

PID = os.getpid()
RELOAD = f"until it reloads its config (kill -HUP {PID}, or systemctl reload of its unit)"


def _idle_order(panel, mp) -> str:  # noqa: F811
    (order,) = panel.seed_orders(1, status="In progress")
    cli(mp, "track", "--panel", "idle", str(order))
    return str(order)


def test_a_panel_added_since_the_daemon_read_its_config_is_not_checked(panel, mp, tmp_path):  # noqa: F811
    _second_panel(tmp_path, mp)
    order = _idle_order(panel, mp)
    config = tmp_path / "tracker.toml"
    with DatabaseLock(tmp_path / "t.db", config=config, panels=["sim"]):
        note = _note(mp)
    assert note == (  # was: the daemon ... checks it within schedule.status_every (2m)
        f"(order {order} {NOT_CHECKED.replace('their', 'its')}: {DAEMON} (pid {PID}) has not "
        f"loaded panel idle, added to the config since it read it: nothing checks it {RELOAD})"
    )


def test_of_two_panels_only_the_loaded_ones_are_said_checked(panel, mp, tmp_path):  # noqa: F811
    _second_panel(tmp_path, mp)
    _tracked(panel, mp, "--panel", "sim")
    _idle_order(panel, mp)
    with DatabaseLock(tmp_path / "t.db", config=tmp_path / "tracker.toml", panels=["sim"]):
        note = _note(mp)
    assert note.endswith(
        f"{DAEMON} (pid {PID}) checks them within {EVERY}, but not those of panel idle, "
        f"added to the config since it read it: none {RELOAD})"
    )


def test_a_panel_not_in_the_daemons_other_config_is_not_checked_while_it_runs(
    panel,  # noqa: F811
    mp,  # noqa: F811
    tmp_path,
):
    _second_panel(tmp_path, mp)
    _idle_order(panel, mp)
    theirs = tmp_path / "etc.toml"  # the unit's: sim alone
    theirs.write_text("")
    with DatabaseLock(tmp_path / "t.db", config=theirs, panels=["sim"]):
        note = _note(mp)
    assert note.endswith(
        f"{DAEMON} (pid {PID}) has not loaded panel idle, not in the config it runs: "
        f"nothing checks it while it runs (add the panel to {theirs} and have the daemon "
        f"reload it: kill -HUP {PID}, or systemctl reload of its unit))"
    )  # review191: the fix said, the config it runs named (was: nothing after "while it runs")


def test_every_panel_loaded_the_note_is_as_before(panel, mp, tmp_path):  # noqa: F811
    _second_panel(tmp_path, mp)
    _idle_order(panel, mp)
    config = tmp_path / "tracker.toml"
    with DatabaseLock(tmp_path / "t.db", config=config, panels=["sim", "idle"]):
        note = _note(mp)
    assert note.endswith(f"{DAEMON} (pid {PID}) checks it within {EVERY})")

"""`orders`' note of orders not checked yet, a daemon running (ux173).

ux163 had it say the daemon running on the database (its PID) checks them
within schedule.status_every, with the value this command's config gives.
But a daemon started `run --panel X` polls no other panel: an order of
another stayed unchecked while the note said it would be checked; and one
reading another config file polls at that file's pace. The daemon's lock
file now says its panel and its config file, and the note says what that
daemon does; a lock file saying neither (an older smm-tracker's) says less
rather than something false."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from test_newcomer_notes import NOT_CHECKED, cli, mp, panel  # noqa: F401  (fixtures)

from tracker.service.lock import DatabaseLock
from tracker.service.lock_seen import seen

DAEMON = "the daemon running on this database"
EVERY = "schedule.status_every (2m)"
# The fix for the orders a `run --panel` daemon does not poll (ux194: none was
# said); a second daemon on the database is refused, one per database.
RESTART = "restart it without --panel, which polls every panel"


def _tracked(panel, mp, *flags: str) -> list[str]:  # noqa: F811
    ids = [str(order) for order in panel.seed_orders(2, status="In progress")]
    cli(mp, "track", *flags, *ids)
    return ids


def _note(mp) -> str:  # noqa: F811
    (note,) = cli(mp, "orders").stderr.splitlines()  # one line piped
    return note


def _second_panel(tmp_path: Path, mp) -> None:  # noqa: F811
    """A second panel in the config, idle: the simulated one under another
    name and account (a key of its own: the daemon refuses one configured twice)."""
    mp.setenv("IDLE_KEY", "idle-key-Zr8Wq3Nc5Tv1")
    config = tmp_path / "tracker.toml"
    url = re.search(r'url = "([^"]+)"', config.read_text()).group(1)
    config.write_text(
        config.read_text()
        + f'[[panels]]\nname = "idle"\nurl = "{url}"\nkey_env = "IDLE_KEY"\nretries = 0\n'
    )


def test_a_daemon_running_another_panel_alone_checks_none_of_them(panel, mp, tmp_path):  # noqa: F811
    ids = _tracked(panel, mp)
    with DatabaseLock(tmp_path / "t.db", panel="other", config=tmp_path / "tracker.toml"):
        note = _note(mp)
    assert note == (  # was: checks them within schedule.status_every (2m)
        f"(orders {ids[1]}, {ids[0]} {NOT_CHECKED}: {DAEMON} (pid {os.getpid()}) polls "
        "panel other alone (run --panel other): nothing checks them while it runs "
        f"({RESTART}))"
    )


def test_a_daemon_running_their_panel_alone_checks_them(panel, mp, tmp_path):  # noqa: F811
    _tracked(panel, mp)
    with DatabaseLock(tmp_path / "t.db", panel="sim", config=tmp_path / "tracker.toml"):
        note = _note(mp)
    assert note.endswith(
        f"{NOT_CHECKED}: {DAEMON} (pid {os.getpid()}), run --panel sim, checks them within {EVERY})"
    )


def test_orders_of_two_panels_a_daemon_running_one_checks_its_own(panel, mp, tmp_path):  # noqa: F811
    _second_panel(tmp_path, mp)
    _tracked(panel, mp, "--panel", "sim")
    (other,) = panel.seed_orders(1, status="In progress")
    cli(mp, "track", "--panel", "idle", str(other))
    with DatabaseLock(tmp_path / "t.db", panel="idle", config=tmp_path / "tracker.toml"):
        note = _note(mp)
    assert note.endswith(
        f"{DAEMON} (pid {os.getpid()}) polls panel idle alone (run --panel idle): it checks "
        f"those of idle within {EVERY}; nothing the others while it runs ({RESTART}))"
    )


def test_a_daemon_reading_another_config_is_not_given_this_ones_pace(panel, mp, tmp_path):  # noqa: F811
    _tracked(panel, mp)
    theirs = tmp_path / "etc.toml"  # the unit's, say: its own status_every
    theirs.write_text((tmp_path / "tracker.toml").read_text().replace('"2m"', '"10m"'))
    with DatabaseLock(tmp_path / "t.db", config=theirs):
        note = _note(mp)
    assert note.endswith(
        f"{DAEMON} (pid {os.getpid()}) checks them within its own schedule.status_every "
        f"(config {theirs}))"
    )
    assert "(2m)" not in note


def test_an_older_daemons_lock_file_says_less(panel, mp, tmp_path):  # noqa: F811
    _tracked(panel, mp)
    with DatabaseLock(tmp_path / "t.db") as lock:
        lock.path.write_text(f"{os.getpid()}\nrun\n")  # as smm-tracker before ux173 wrote it
        note = _note(mp)
    assert note.endswith(
        f"{DAEMON} (pid {os.getpid()}) checks them within its own schedule.status_every "
        "unless it runs another panel alone)"
    )


def test_the_daemon_run_with_panel_says_it_in_its_lock_file(panel, mp, tmp_path):  # noqa: F811
    _second_panel(tmp_path, mp)
    ids = _tracked(panel, mp, "--panel", "sim")
    env = dict(os.environ)  # SIM_KEY and IDLE_KEY set
    env.pop("NOTIFY_SOCKET", None)
    command = [sys.executable, "-m", "tracker", "run", "--panel", "idle"]
    daemon = subprocess.Popen(command, env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        # Its lock file written: seen() may find the daemon by the database's
        # flock (taken just before the lock file's lines are) with nothing said.
        while (
            (found := seen(tmp_path / "t.db")) is None
            or found.pid != daemon.pid
            or found.said.config is None
        ):
            assert daemon.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        assert found.said.panel == "idle"
        assert found.said.config == str(tmp_path / "tracker.toml")
        note = _note(mp)  # the daemon polls idle alone: sim's orders stay unchecked
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    assert note == (
        f"(orders {ids[1]}, {ids[0]} {NOT_CHECKED}: {DAEMON} (pid {daemon.pid}) polls "
        "panel idle alone (run --panel idle): nothing checks them while it runs "
        f"({RESTART}))"
    )

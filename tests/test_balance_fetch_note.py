"""`balance`'s note for a panel with no balance fetched yet says what
fetches it as the database's lock file says, as `orders`' note of orders
not checked yet does (tests/test_daemon_note_panel.py).

polish200: it said "the daemon checks it on its schedule" with no daemon
running, and for `--database` a file the config's daemon never writes.
Through the real CLI in-process; no panel is called."""

from __future__ import annotations

import os
import shutil

from simconfig import OFFLINE_CONFIG, cli_in

from tracker.service.lock import DatabaseLock

KEY = {"SMM_TEST_KEY": "k" * 24}
NONE_YET = "main: no balance fetched yet"


def _note(cli, *args: str) -> str:
    result = cli("balance", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return result.stderr.strip()


def test_nothing_running_says_run_once_or_the_daemon(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env=KEY)
    assert cli("track", "5").exit_code == 0
    assert _note(cli) == (
        f"{NONE_YET} (smm-tracker run --once fetches it now; the daemon (smm-tracker run) "
        "within schedule.balance_every (15m))"
    )


def test_a_daemon_holding_the_database_checks_it_on_its_schedule(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env=KEY)
    assert cli("track", "5").exit_code == 0
    with DatabaseLock(tmp_path / "t.db", config=tmp_path / "tracker.toml"):
        note = _note(cli)
    daemon = f"the daemon running on this database (pid {os.getpid()})"
    assert note == f"{NONE_YET} ({daemon} checks it on its schedule)"
    with DatabaseLock(tmp_path / "t.db", panel="other", config=tmp_path / "tracker.toml"):
        alone = _note(cli)
    assert alone == (
        f"{NONE_YET} ({daemon} polls panel other alone (run --panel other): nothing "
        "fetches it while it runs (restart it without --panel))"
    )
    with DatabaseLock(tmp_path / "t.db", once=True):
        once = _note(cli)
    assert once == (
        f"{NONE_YET} (a smm-tracker run --once runs on this database (pid {os.getpid()}): "
        "it or the next fetches it)"
    )


def test_another_database_than_the_daemons_is_not_its_to_check(tmp_path, monkeypatch):
    # The config's daemon runs on t.db; `--database copy.db` is no file it writes.
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env=KEY)
    assert cli("track", "5").exit_code == 0
    shutil.copy(tmp_path / "t.db", tmp_path / "copy.db")
    with DatabaseLock(tmp_path / "t.db", config=tmp_path / "tracker.toml"):
        note = _note(cli, "--database", "copy.db")
    assert note == (
        f"{NONE_YET} (no smm-tracker runs on this database: a daemon or run --once whose "
        "database.path is this file fetches it)"
    )


def test_a_panel_the_daemon_has_not_loaded_is_fetched_after_its_reload(tmp_path, monkeypatch):
    """polish201: a panel added to the config since the daemon read it (its
    lock file's panels= does not name it) was said checked on its schedule;
    nothing fetches it until the daemon reloads its config, as `orders`'
    note says (tests/test_daemon_note_loaded.py)."""
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env=KEY)
    assert cli("track", "5").exit_code == 0
    pid = os.getpid()
    daemon = f"the daemon running on this database (pid {pid}) has not loaded panel main"
    hup = f"kill -HUP {pid}, or systemctl reload of its unit"
    with DatabaseLock(tmp_path / "t.db", config=tmp_path / "tracker.toml", panels=["other"]):
        note = _note(cli)
    assert note == (
        f"{NONE_YET} ({daemon}, added to the config since it read it: nothing fetches it "
        f"until it reloads its config ({hup}))"
    )
    theirs = tmp_path / "etc.toml"  # the daemon runs another config, without main
    theirs.write_text("")
    with DatabaseLock(tmp_path / "t.db", config=theirs, panels=["other"]):
        note = _note(cli)
    assert note == (
        f"{NONE_YET} ({daemon}, not in the config it runs: nothing fetches it while it runs "
        f"(add the panel to {theirs} and have the daemon reload it: {hup}))"
    )
    with DatabaseLock(tmp_path / "t.db", config=tmp_path / "tracker.toml", panels=["main"]):
        loaded = _note(cli)
    assert loaded.endswith(f"(pid {pid}) checks it on its schedule)"), loaded


def test_an_older_daemons_lock_file_says_less_as_orders_note_does(tmp_path, monkeypatch):
    """polish204: a lock file without panel= (an older daemon's) does not say
    whether it polls another panel alone: balance said it checks it, where
    `orders`' note adds "unless it runs another panel alone"."""
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env=KEY)
    assert cli("track", "5").exit_code == 0
    with DatabaseLock(tmp_path / "t.db") as lock:
        lock.path.write_text(f"{os.getpid()}\nrun\n")  # as smm-tracker before ux173 wrote it
        note = _note(cli)
    assert note == (
        f"{NONE_YET} (the daemon running on this database (pid {os.getpid()}) checks it on its "
        "schedule unless it runs another panel alone)"
    )

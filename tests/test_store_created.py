"""A daemon restarted on a database gone is told a new, empty one was made.

Operator's week (daemon90): the database moved away under the running
daemon (a copy taken with `mv`, a restore half done) stops it with
``store_replaced``, exit 1, "so a restart opens the file that is there
now"; systemd's restart 10 s later found no file, made a new, empty one,
and ran on it with one ``migrations_applied`` line at info: no order
tracked, no refill asked, nothing polled, ``smm_tracker_open_orders`` at 0
like a quiet day, and not a word an operator would see. A start that finds
the lock file an earlier run left but no database now raises
``store_created`` (error: log, alerts table, webhook), naming the file and
what to do; a first start, with no lock file yet, is news to no one. So
does a `run --once` from cron.
"""

from __future__ import annotations

import sqlite3
import subprocess

from test_hostile import config_text, env  # noqa: F401  (fixture)
from test_service_run import DEADLINE, Daemon, smm_tracker


def _start_and_stop(config, environ) -> list[dict[str, object]]:
    daemon = Daemon(config, environ)
    try:
        daemon.wait_for("READY=1")
        assert daemon.stop() == 0
        return daemon.events()
    finally:
        daemon.close()


def test_a_start_on_a_database_gone_says_a_new_empty_one_was_made(tmp_path, env):  # noqa: F811
    config = tmp_path / "tracker.toml"
    config.write_text(config_text("http://127.0.0.1:9/api/v2") + '[logging]\nformat = "json"\n')
    first = _start_and_stop(config, env)
    assert not [e for e in first if e.get("alert") == "store_created"]  # a first start
    assert (tmp_path / "t.db.lock").exists()  # what an earlier run leaves
    for path in tmp_path.glob("t.db*"):  # moved away while the daemon was down
        if not path.name.endswith(".lock"):
            path.unlink()
    again = _start_and_stop(config, env)
    created = [e for e in again if e.get("alert") == "store_created"]
    assert len(created) == 1, "\n".join(str(e) for e in again)  # before: none, not a word
    message = str(created[0]["message"])
    assert created[0]["level"] == "error"
    assert f"database {tmp_path / 't.db'} did not exist" in message
    assert "new, empty" in message and "put it back" in message
    with sqlite3.connect(tmp_path / "t.db") as db:  # kept: `alerts` lists it, redelivered
        kinds = [row[0] for row in db.execute("SELECT kind FROM alerts")]
    assert kinds == ["store_created"]


def test_a_restart_on_its_database_says_nothing_of_it(tmp_path, env):  # noqa: F811
    config = tmp_path / "tracker.toml"
    config.write_text(config_text("http://127.0.0.1:9/api/v2") + '[logging]\nformat = "json"\n')
    _start_and_stop(config, env)
    again = _start_and_stop(config, env)
    assert not [e for e in again if e.get("alert") == "store_created"]


def _once(config, environ) -> str:
    done = subprocess.run(
        [*smm_tracker(), "--config", str(config), "run", "--once"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    return done.stderr


def test_a_run_once_on_a_database_gone_says_so_too(tmp_path, env):  # noqa: F811
    # cron's `run --once` every few minutes: the next run after a move made
    # a new, empty database, exit 0 once its jobs ran, and said nothing.
    config = tmp_path / "tracker.toml"
    # retries = 0: the panel (port 9) refuses every call, and each run's
    # retries waited out 1-2 s backoffs (~4 s a run) beside the point here.
    text = config_text("http://127.0.0.1:9/api/v2").replace("retries = 2", "retries = 0")
    config.write_text(text + '[logging]\nformat = "json"\n')
    assert "store_created" not in _once(config, env)  # a first run
    for path in tmp_path.glob("t.db*"):
        if not path.name.endswith(".lock"):
            path.unlink()
    said = _once(config, env)
    assert '"alert": "store_created"' in said and "new, empty" in said  # before: not a word
    with sqlite3.connect(tmp_path / "t.db") as db:
        kinds = [row[0] for row in db.execute("SELECT kind FROM alerts")]
    assert kinds == ["store_created"]
    assert "store_created" not in _once(config, env)  # the run after: its database is there

"""`smm-tracker doctor`: the verdicts (pure), then the real command on good and
broken setups, against the simulated panel over loopback."""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hostile import HostileServer, drip, json_reply

import tracker.cli.screen as screen_module
from tracker.cli.main import main
from tracker.rules.database_doctor import DatabaseFacts, database_check
from tracker.rules.doctor import (
    FAIL,
    OK,
    SKIP,
    exit_code,
    panel_check,
)
from tracker.service.doctor_database import known_migrations
from tracker.sim.server import PanelServer, SimulatedPanel
from tracker.store.orders import Store

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is said, not the wait

KEY = "doctor-key-Vb6Nc1Xz8Pq3"
DB = Path("/srv/t.db")
KNOWN = ("m001", "m002")


@pytest.mark.parametrize(
    ("facts", "state", "words"),
    [
        (DatabaseFacts(DB, directory_exists=False, known=KNOWN), FAIL, "/srv does not exist"),
        (DatabaseFacts(DB, directory_error="Read-only file system"), FAIL, "Read-only file"),
        (DatabaseFacts(DB, known=KNOWN), OK, "will be created by the first run"),
        (DatabaseFacts(DB, exists=True, writable=False), FAIL, "read-only for this user"),
        (DatabaseFacts(DB, exists=True, read_error="x is not an SQLite database"), FAIL, "not an"),
        (
            DatabaseFacts(DB, exists=True, applied=("m001", "m002", "m009"), known=KNOWN),
            FAIL,
            "migrated by a newer smm-tracker (m009): upgrade",
        ),
        (
            DatabaseFacts(DB, exists=True, applied=("m001",), known=KNOWN),
            OK,
            "the next run applies 1 migration: m002",
        ),
        (
            DatabaseFacts(DB, exists=True, applied=(), known=KNOWN),
            OK,
            "the next run applies 2 migrations: m001, m002",
        ),
        (
            DatabaseFacts(DB, exists=True, applied=KNOWN, known=KNOWN),
            OK,
            "schema current (m002, the latest migration)",  # not "(2 migrations)"
        ),
    ],
)
def test_database_verdicts(facts, state, words):
    check = database_check(facts)
    assert check.state == state and words in check.detail


def test_panel_lines_name_the_key_source_and_the_outcome():
    ok = panel_check("main", "file /run/credentials/x/api-key", balance=Decimal("1.50"))
    assert ok.line() == (
        "ok   panel main: key: file /run/credentials/x/api-key; answers (balance 1.50)"
    )  # no currency said: no space before the parenthesis
    rub = panel_check("r", "file k", balance=Decimal("1250.50"), currency="RUB")
    assert rub.detail.endswith("answers (balance 1250.50 RUB)")
    failed = panel_check("main", "environment variable K", error="Invalid API key")
    assert failed.state == FAIL and failed.detail.endswith("balance call failed: Invalid API key")
    skipped = panel_check("b", None, skipped="fix its config problems first")
    assert skipped.state == SKIP and "key: source unknown" in skipped.detail
    assert exit_code([ok, skipped]) == 0 and exit_code([ok, failed]) == 1


def test_the_panel_line_shows_money_as_balance_and_run_once_do():
    # doctor said "balance 1000.00000 EUR" where `balance` and `run --once`
    # said "1000.00 EUR": the panel's five decimals, as it wrote them.
    eur = panel_check("eu", "file k", balance=Decimal("1000.00000"), currency="EUR")
    assert eur.detail.endswith("answers (balance 1000.00 EUR)")
    fine = panel_check("f", "file k", balance=Decimal("0.123450"), currency="USD")
    assert fine.detail.endswith("answers (balance 0.12345 USD)")  # its digits kept


@pytest.fixture
def doctor(tmp_path, monkeypatch):
    panel = SimulatedPanel(key=KEY, seed=1)
    server = PanelServer(panel).start()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)

    def run(config: str, *options: str) -> tuple[int, list[str]]:
        (tmp_path / "tracker.toml").write_text(config.replace("URL", server.url))
        result = CliRunner().invoke(main, ["doctor", *options], catch_exceptions=False)
        assert "Traceback" not in result.output and KEY not in result.output
        return result.exit_code, result.output.splitlines()

    yield run
    server.stop()


GOOD = """
[database]
path = "t.db"
[[panels]]
name = "sim"
url = "URL"
key_env = "SIM_KEY"
"""


def test_a_good_setup_passes_every_check(doctor, tmp_path):
    code, lines = doctor(GOOD)
    assert code == 0, lines
    assert lines == [
        f"ok   config: {tmp_path / 'tracker.toml'} is valid (1 panel)",
        f"ok   database: {tmp_path / 't.db'} will be created by the first run (directory writable)",
        "ok   panel sim: key: environment variable SIM_KEY; answers (balance 100.00 USD)",
    ]
    assert not (tmp_path / "t.db").exists()  # doctor never creates the database
    assert [p.name for p in tmp_path.iterdir()] == ["tracker.toml"]


def test_a_database_gone_where_a_tracker_ran_before_is_warned_of(doctor, tmp_path):
    # The daemon's walk: tracker.db moved away, the daemon stopped
    # (store_replaced); doctor then said the file "will be created by the
    # first run", all well, where the next start made a new, empty database.
    (tmp_path / "t.db.lock").write_text("4242 run\n")  # left by the run before
    code, lines = doctor(GOOD)
    assert code == 0, lines  # a warning: a new database may be meant
    assert lines[1] == (
        f"warn database: {tmp_path / 't.db'} does not exist, though a tracker ran on it "
        f"before (its lock file {tmp_path / 't.db.lock'} is left): the next run makes a "
        "new, empty database, which tracks no order (store_created); if it was moved or "
        "deleted, put it back first (with its -wal file, if any)"
    )
    assert not (tmp_path / "t.db").exists()  # doctor never creates the database


def test_json_report_has_every_check_and_the_verdict(doctor, tmp_path):
    code, lines = doctor(GOOD, "--json")
    report = json.loads("\n".join(lines))
    assert code == 0 and report["ok"] is True
    assert [(c["name"], c["state"], c["failed"]) for c in report["checks"]] == [
        ("config", "ok", False),
        ("database", "ok", False),
        ("panel sim", "ok", False),
    ]
    assert "balance 100.00 USD" in report["checks"][2]["detail"]
    code, lines = doctor(GOOD.replace('key_env = "SIM_KEY"', 'key = "wrong-key-123456"'), "--json")
    report = json.loads("\n".join(lines))
    assert code == 1 and report["ok"] is False
    assert report["checks"][2]["state"] == "FAIL" and report["checks"][2]["failed"]


def test_an_existing_database_is_read_without_leaving_files(doctor, tmp_path):
    Store(tmp_path / "t.db").close()
    code, lines = doctor(GOOD)
    assert code == 0
    # The latest migration by its number, as README names it ("m038"): the
    # count it said (36, some numbers never used) matched no migration.
    latest = known_migrations()[-1].partition("_")[0]
    assert f"schema current ({latest}, the latest migration)" in lines[1]
    code, lines = doctor(GOOD, "--json")  # the same words in its detail, its fields kept
    database = json.loads("\n".join(lines))["checks"][1]
    assert database == {
        "name": "database",
        "state": "ok",
        "detail": f"{tmp_path / 't.db'} writable; schema current ({latest}, the latest migration)",
        "failed": False,
    }
    # No -wal/-shm/lock file: run as root, they would lock the service's user out.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db", "tracker.toml"]


def test_a_database_from_a_newer_version_fails(doctor, tmp_path):
    Store(tmp_path / "t.db").close()
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('smm-tracker', 'm999_future', '2030-01-01')"
        )
    conn.close()
    code, lines = doctor(GOOD)
    assert code == 1
    assert "FAIL database:" in lines[1] and "m999_future" in lines[1]


def test_an_sqlite_too_old_for_the_tracker_fails_the_database_check(doctor, monkeypatch):
    # `run` refuses it when it opens the database; doctor says so before.
    monkeypatch.setattr("sqlite3.sqlite_version_info", (3, 31, 1))
    code, lines = doctor(GOOD)
    assert code == 1
    assert lines[1] == (
        "FAIL database: SQLite 3.31.1 is too old: smm-tracker needs 3.33.0 or newer"
        " (the one this Python was built with)"
    )


def test_a_wrong_key_fails_without_showing_any_key(doctor, monkeypatch):
    monkeypatch.setenv("SIM_KEY", "wrong-key-Zx0Cv9Bn8Mm7")
    code, lines = doctor(GOOD)
    assert code == 1
    assert lines[-1] == (
        "FAIL panel sim: key: environment variable SIM_KEY; balance call failed: Invalid API key;"
        " the panel refuses this key: check that panels[0].key_env (environment variable"
        " SIM_KEY) holds this account's key"
    )  # what to fix, and where, as orders and balance say it
    assert "wrong-key-Zx0Cv9Bn8Mm7" not in "\n".join(lines)


def test_a_broken_setup_names_each_problem_in_one_line(doctor, tmp_path):
    broken = """
[database]
path = "missing-dir/t.db"
[[panels]]
name = "sim"
url = "URL"
key_env = "UNSET_KEY_VAR"
[[panels]]
name = "down"
url = "http://127.0.0.1:9/api/v2"
key_env = "SIM_KEY"
timeout = "2s"
retries = 0
[[panels]]
name = "ok"
url = "URL"
key_env = "SIM_KEY"
[schedule]
status_every = "5 parsecs"
"""
    code, lines = doctor(broken)
    assert code == 1
    assert lines == [
        f"FAIL config: {tmp_path / 'tracker.toml'}: at 'panels[0].key_env': "
        "environment variable UNSET_KEY_VAR is not set",
        f"FAIL config: {tmp_path / 'tracker.toml'}: at 'schedule.status_every': "
        "'5 parsecs' is not a duration like 90s, 5m, 24h, 30d",
        f"FAIL database: directory {tmp_path / 'missing-dir'} does not exist: create it "
        f"(mkdir -p {tmp_path / 'missing-dir'}), or set [database] path in the config to a "
        "file in a directory that exists",
        "skip panel sim: key: environment variable UNSET_KEY_VAR; "
        "not called: fix its config problems first",
        "FAIL panel down: key: environment variable SIM_KEY; "
        "balance call failed: connection refused by 127.0.0.1:9; "
        "is the panel up, and the port in panels[1].url right?",
        "ok   panel ok: key: environment variable SIM_KEY; answers (balance 100.00 USD)",
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[database\n", "invalid TOML"),
        ("[[panels]]\nname = 'x'\n", "set exactly one of key_env, key_file or key"),
    ],
)
def test_unreadable_configs_are_one_line_each(doctor, text, words):
    code, lines = doctor(text)
    assert code == 1 and any(words in line for line in lines)
    assert all(line.split()[0] in ("FAIL", "skip", "ok") for line in lines)


def test_a_missing_config_file_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--config", "nope.toml", "doctor"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"FAIL config: config file {tmp_path / 'nope.toml'} (from --config) does not exist"
    ]


def test_a_config_path_that_is_a_symbolic_link_loop_is_said_to_be_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.symlink("loop.toml", tmp_path / "loop.toml")
    said = f"config file {tmp_path / 'loop.toml'} (from --config) is a symbolic link loop"
    result = CliRunner().invoke(main, ["--config", "loop.toml", "orders"])
    assert result.exit_code == 2 and result.output.splitlines() == [f"smm-tracker: config: {said}"]
    result = CliRunner().invoke(main, ["--config", "loop.toml", "doctor"])
    assert result.exit_code == 1 and result.output.splitlines() == [f"FAIL config: {said}"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_directory_fails(doctor, tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    try:
        code, lines = doctor(GOOD.replace('"t.db"', '"ro/t.db"'))
    finally:
        (tmp_path / "ro").chmod(0o755)
    assert code == 1 and "cannot create files in" in lines[1]


def test_a_database_path_that_is_a_directory_fails_in_words(doctor, tmp_path):
    (tmp_path / "state").mkdir()
    code, lines = doctor(GOOD.replace('"t.db"', '"state"'))
    assert code == 1
    assert lines[1] == (
        f"FAIL database: {tmp_path / 'state'} is a directory: name the database file, "
        f"e.g. {tmp_path / 'state' / 'tracker.db'}"
    )


def test_doctor_during_a_run_reads_the_live_database(doctor, tmp_path):
    store = Store(tmp_path / "t.db")  # open, as the daemon keeps it: -wal and -shm exist
    try:
        store.track("sim", [1, 2], datetime.now(UTC))
        code, lines = doctor(GOOD)
    finally:
        store.close()
    assert code == 0 and "schema current" in lines[1]


def test_a_damaged_database_fails_its_check(doctor, tmp_path):
    store = Store(tmp_path / "t.db")
    store.track("sim", list(range(1, 3001)), datetime.now(UTC))
    store.close()
    size = (tmp_path / "t.db").stat().st_size
    assert size > 40_000
    with open(tmp_path / "t.db", "r+b") as damaged:  # the reviewer's damage: 24 kB of noise
        damaged.seek(12_288)
        damaged.write(random.Random(3).randbytes(24_576))
    code, lines = doctor(GOOD)
    assert code == 1
    assert lines[1].startswith(f"FAIL database: database {tmp_path / 't.db'} is damaged"), lines
    assert "restore it from a backup" in lines[1]


class TimedPanel(SimulatedPanel):
    """Notes when each balance call arrived (answered ``latency`` after it)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.balance_at: list[float] = []

    def answer(self, form):
        if form.get("action") == "balance":
            self.balance_at.append(time.monotonic())
        return super().answer(form)


def test_the_panels_are_asked_at_once_and_listed_in_config_order(tmp_path, monkeypatch):
    # Each answers 2 s after it is asked: asked one after the other, the
    # second panel would be asked only once the first had answered.
    first, second = TimedPanel(key=KEY, latency=2.0, seed=1), TimedPanel(key=KEY, latency=2.0)
    with (
        PanelServer(first, latency_from_arrival=True) as one,
        PanelServer(second, latency_from_arrival=True) as two,
    ):
        (tmp_path / "tracker.toml").write_text(
            '[database]\npath = "t.db"\n'
            f'[[panels]]\nname = "one"\nurl = "{one.url}"\nkey_env = "SIM_KEY"\n'
            f'[[panels]]\nname = "two"\nurl = "{two.url}"\nkey_env = "SIM_KEY"\n'
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
        monkeypatch.setenv("SIM_KEY", KEY)
        result = CliRunner().invoke(main, ["doctor"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines[-2:]] == ["ok   panel one", "ok   panel two"]
    (asked_first,), (asked_second,) = first.balance_at, second.balance_at
    assert abs(asked_second - asked_first) < 2.0


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o604, True), (0o640, False)])
def test_doctor_warns_of_a_key_file_every_user_may_read(tmp_path, mode, warned):
    key = tmp_path / "api-key"
    key.write_text(KEY + "\n")
    key.chmod(mode)
    config = tmp_path / "tracker.toml"
    config.write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "main"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey_file = "api-key"\ntimeout = "2s"\nretries = 0\n'
    )
    result = CliRunner().invoke(main, ["--config", str(config), "doctor"], env={})
    lines = [line for line in result.output.splitlines() if "readable by every user" in line]
    expected = (
        f"warn panel main: key file {key} is readable by every user (mode {mode:04o}): "
        f"chmod 600 {key} (under the unit, systemd hands the service a copy)"
    )
    assert lines == ([expected] if warned else [])
    assert KEY not in result.output


def test_doctor_warns_of_alert_url_files_and_a_config_with_secrets_every_user_may_read(tmp_path):
    # A Telegram bot token in notify_file, a webhook URL with its token, a
    # config with the key inline: as secret as a key file, said of none.
    (tmp_path / "notify").write_text("tgram://123456:AAbbCCdd/987\n")
    (tmp_path / "hook").write_text("https://hooks.example/T0KEN\n")
    config = tmp_path / "tracker.toml"
    config.write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "main"\n'
        f'url = "http://127.0.0.1:9/api/v2"\nkey = "{KEY}"\ntimeout = "2s"\nretries = 0\n'
        '[alerts]\nnotify_file = "notify"\nwebhook_url_file = "hook"\n'
    )
    for path in (config, tmp_path / "notify", tmp_path / "hook"):
        path.chmod(0o644)
    result = CliRunner().invoke(main, ["--config", str(config), "doctor"], env={})
    lines = [line for line in result.output.splitlines() if "readable by every user" in line]
    assert [line.split(":")[0] for line in lines] == [
        "warn alerts.webhook_url_file",
        "warn alerts.notify_file",
        "warn config",
    ]
    assert (
        f"config file {config} is readable by every user (mode 0644) and holds the API key "
        "(panels[0].key): move panels[0].key to a key_file"
    ) in lines[2]
    # The unit's service user reads the config itself: chmod 600 would stop it.
    assert f"chmod 600 {config}" not in lines[2]
    assert "move panels[0].key to a key_file (chmod 600 it;" in lines[2]
    assert KEY not in result.output and "T0KEN" not in result.output
    for path in (config, tmp_path / "notify", tmp_path / "hook"):
        path.chmod(0o640)
    result = CliRunner().invoke(main, ["--config", str(config), "doctor"], env={})
    assert "readable by every user" not in result.output


def test_a_config_every_user_may_read_names_the_secret_it_holds(tmp_path):
    # Soak: the key in a key_file (0600), the webhook URL inline, the config
    # 0644: doctor said "move the key to a key_file", where it already was.
    key = tmp_path / "api-key"
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    config = tmp_path / "tracker.toml"
    config.write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "main"\n'
        'url = "http://127.0.0.1:9/api/v2"\nkey_file = "api-key"\ntimeout = "2s"\nretries = 0\n'
        '[alerts]\nwebhook_url = "https://hooks.example/T0KEN"\n'
        'notify = ["tgram://123456:AAbbCCdd/987"]\n'
    )
    config.chmod(0o644)
    result = CliRunner().invoke(main, ["--config", str(config), "doctor"], env={"COLUMNS": "400"})
    [line] = [line for line in result.output.splitlines() if line.startswith("warn config")]
    assert line == (
        f"warn config: config file {config} is readable by every user (mode 0644) and holds "
        "the webhook URL (alerts.webhook_url) and the notify URLs (alerts.notify): move "
        "alerts.webhook_url to alerts.webhook_url_file, alerts.notify to alerts.notify_file "
        "(chmod 600 them; under the unit, LoadCredential= hands the service a copy); a chmod "
        "600 config is unreadable to the unit's own user"
    )
    assert "T0KEN" not in result.output and "AAbbCCdd" not in result.output


def test_a_config_holding_three_secrets_names_each_after_its_path():
    from tracker.rules.secret_files import config_file_check

    inline = ["panels[0].key", "alerts.webhook_url", "alerts.notify"]
    check = config_file_check(Path("/srv/t.toml"), 0o100644, inline)
    assert check is not None and check.line().startswith(
        "warn config: config file /srv/t.toml is readable by every user (mode 0644) and holds "
        "the API key (panels[0].key), the webhook URL (alerts.webhook_url) and the notify URLs "
        "(alerts.notify): move panels[0].key to a key_file, alerts.webhook_url to "
        "alerts.webhook_url_file, alerts.notify to alerts.notify_file (chmod 600 them;"
    )


def test_a_database_on_a_full_disk_fails_its_check(doctor, tmp_path, monkeypatch):
    # It said "writable" while the disk had no block left: run then waited
    # with store_unwritable, and doctor, asked why, said all was well.
    Store(tmp_path / "t.db").close()
    real = os.statvfs

    def full(path):
        got = real(path)
        return os.statvfs_result((*got[:4], 0, *got[5:]))  # f_bavail: 0 blocks free

    monkeypatch.setattr("tracker.store.causes.os.statvfs", full)
    code, lines = doctor(GOOD)
    assert code == 1
    assert lines[1] == (
        f"FAIL database: {tmp_path / 't.db'} cannot be written: "
        f"no space left on the disk holding {tmp_path}"
    )


def test_on_a_terminal_a_long_line_wraps_at_its_words_under_the_checks_name(doctor, monkeypatch):
    # A failing panel's line ran past 120 columns; the terminal broke it at
    # column 80, inside a word, and went on at column 0. Piped: one line a check.
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("SIM_KEY", "wrong-" + KEY)
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: False)
    code, piped = doctor(GOOD)
    assert code == 1 and len(piped) == 3 and max(map(len, piped)) > 80
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    code, shown = doctor(GOOD)
    assert code == 1 and max(map(len, shown)) <= 80
    starts = [line for line in shown if not line.startswith(" " * 5)]
    assert [line.split(":")[0] for line in starts] == [line.split(":")[0] for line in piped]
    assert "".join("".join(shown).split()) == "".join("".join(piped).split())  # all of it


def test_on_a_terminal_under_40_columns_every_line_fits_it_too(doctor, monkeypatch):
    # A split pane or a phone's SSH client of 30 columns: each line was
    # wrapped at 40 all the same, and the terminal broke every one of them
    # inside a word, on at column 0, as if nothing had wrapped it.
    monkeypatch.setenv("COLUMNS", "30")
    monkeypatch.setenv("SIM_KEY", "wrong-" + KEY)
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: False)
    _, piped = doctor(GOOD)
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    code, shown = doctor(GOOD)
    assert code == 1 and max(map(len, shown)) <= 30
    starts = [line for line in shown if not line.startswith(" " * 5)]
    assert [line.split()[0] for line in starts] == ["ok", "ok", "FAIL"]  # the verdicts
    assert "".join("".join(shown).split()) == "".join("".join(piped).split())  # all of it


def test_a_word_longer_than_the_terminal_is_broken_only_at_the_edge():
    # A database path longer than the screen: the terminal's lines of it, put
    # end to end, are the path, with no blank put inside it between them.
    from tracker.cli.doctor import INDENT
    from tracker.cli.screen import Screen, fitted

    path = "/srv/" + "a" * 60 + "/" + "b" * 60 + "/tracker.db"
    lines = fitted(
        f"FAIL database: {path} cannot be written",
        Screen(datetime(2026, 12, 5, tzinfo=UTC), 80),
        INDENT,
    )
    lines = lines.split("\n")
    assert max(map(len, lines)) <= 80
    assert lines[0] == "FAIL database:"
    assert all(line.startswith(" " * 5) for line in lines[1:])
    assert path in "".join(line.strip() for line in lines)
    assert " ".join(" ".join(lines).split()).endswith("/tracker.db cannot be written")


@pytest.mark.parametrize("kind", ["429", "busy words"])
def test_a_panel_rate_limiting_now_is_a_warning_not_a_failed_key(tmp_path, monkeypatch, kind):
    # The daemon beside it using the panel's limit (or the panel saying "too
    # many requests" in words): the key was not checked, nothing is wrong with
    # it, and a monitor reading doctor's exit code must not page for it.
    from tracker.sim.faults import FaultPlan

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    if kind == "429":
        panel = SimulatedPanel(key=KEY, seed=1)
        panel.faults = FaultPlan(probability=1.0, kinds=("429",), actions=("balance",))
        server = PanelServer(panel).start()
        url, stop = server.url, server.stop
    else:  # a 200 saying it in words
        words = HostileServer(lambda form: json_reply({"error": "Too many requests, try later"}))
        url, stop = words.start().url, words.stop
    try:
        (tmp_path / "tracker.toml").write_text(GOOD.replace("URL", url))
        result = CliRunner().invoke(main, ["doctor"], catch_exceptions=False)
    finally:
        stop()
    lines = result.output.splitlines()
    assert result.exit_code == 0, lines
    assert lines[2].startswith("warn panel sim: key: environment variable SIM_KEY; "), lines
    assert "not checked" in lines[2] and "rate limit" in lines[2], lines


@pytest.mark.parametrize(
    "words", ["Server is under maintenance, try again later", "Database busy", "Invalid API key"]
)
def test_a_panel_busy_down_or_refusing_the_key_still_fails(tmp_path, monkeypatch, words):
    # Not our calls counted: the panel cannot be used now, or the key is wrong.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    with HostileServer(lambda form: json_reply({"error": words})) as panel:
        (tmp_path / "tracker.toml").write_text(GOOD.replace("URL", panel.url))
        result = CliRunner().invoke(main, ["doctor"], catch_exceptions=False)
    lines = result.output.splitlines()
    assert result.exit_code == 1, lines
    assert lines[2].startswith("FAIL panel sim: key: environment variable SIM_KEY; "), lines
    assert "balance call failed" in lines[2], lines


def test_a_refusal_whose_witness_timed_out_is_no_missing_action_nor_key(tmp_path, monkeypatch):
    # Soak (soak15): doctor during a drip said "balance call failed: Incorrect
    # request", the panel's refusal, as if balance were missing or the key
    # wrong, when the services call asked what those words mean got nothing
    # back in time: the panel's silence is what failed.
    def respond(form: dict[str, str]) -> Any:
        if form.get("action") == "services":
            return drip(every=0.2)  # a byte at a time, past the call's deadline
        return json_reply({"error": "Incorrect request"})

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    with HostileServer(respond) as panel:
        # 5 s: the balance call answers within it on a loaded machine; the drip does not.
        config = GOOD.replace("URL", panel.url) + 'timeout = "5s"\nretries = 0\n'
        (tmp_path / "tracker.toml").write_text(config)
        result = CliRunner().invoke(main, ["doctor", "--json"], catch_exceptions=False)
        asked = [form.get("action") for form in panel.requests]
    assert asked == ["balance", "services"]
    assert result.exit_code == 1
    check = json.loads(result.output)["checks"][2]
    assert sorted(check) == ["detail", "failed", "name", "state"]
    assert check["state"] == "FAIL"
    assert check["detail"] == (
        "key: environment variable SIM_KEY; balance call failed: the panel answered "
        "'Incorrect request', then did not answer the services call that tells a refused "
        f"key from a missing action (no answer from {panel.url.split('/')[2]} within 5s): "
        "no sign of either; try again"
    )


def test_no_answer_within_doctors_own_deadline_says_whose_it_is(tmp_path, monkeypatch):
    # Walk: "no answer within 15s" while the panel's timeout is 20s: doctor
    # cuts its own call short, and the line read as the panel's timeout.
    import socket

    import tracker.service.doctor_panels as doctor_panels

    monkeypatch.setattr(doctor_panels, "DOCTOR_TIMEOUT", 0.5)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.setenv("COLUMNS", "400")
    with socket.create_server(("127.0.0.1", 0)) as silent:  # connects, never answers
        where = f"127.0.0.1:{silent.getsockname()[1]}"
        config = GOOD.replace("URL", f"http://{where}/api/v2") + 'timeout = "20s"\nretries = 0\n'
        (tmp_path / "tracker.toml").write_text(config)
        result = CliRunner().invoke(main, ["doctor"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.output.splitlines()[2] == (
        "FAIL panel sim: key: environment variable SIM_KEY; balance call failed: no answer "
        f"from {where} within doctor's 0.5s (the daemon waits the panel's timeout, 20s)"
    )


DOWN = """
[database]
path = "t.db"
[[panels]]
name = "down"
url = "http://127.0.0.1:9/api/v2"
key_env = "SIM_KEY"
timeout = "2s"
retries = 0
"""
SINCE = "2026-12-04T15:44:45+00:00"


def test_on_a_terminal_its_moments_are_short_as_the_other_commands_say_them(
    doctor, tmp_path, monkeypatch
):
    # "failed since 2026-12-04T15:44:45+00:00" where `orders` and `balance`
    # say "15:44 UTC" on a terminal; piped and --json: as stored.
    Store(tmp_path / "t.db").close()
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute(
            "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 1, ?)",
            ("down", "panel_unreachable", SINCE),
        )
    db.close()
    now = datetime(2026, 12, 4, 15, 50, 2, tzinfo=UTC)
    monkeypatch.setattr(screen_module, "utcnow", lambda: now)
    monkeypatch.setenv("COLUMNS", "200")  # one line a check, to compare
    failing = "warn panel down: every call has failed since {}; the log's status_failed lines"
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: False)
    code, piped = doctor(DOWN)
    assert code == 1 and f"{failing.format(SINCE)} say why" in piped, piped
    monkeypatch.setattr(screen_module, "stdout_is_terminal", lambda: True)
    code, shown = doctor(DOWN)
    assert code == 1 and f"{failing.format('15:44 UTC')} say why" in shown, shown
    assert [line.split(":")[0] for line in shown] == [line.split(":")[0] for line in piped]
    code, as_json = doctor(DOWN, "--json")  # on a terminal too: for scripts
    details = [check["detail"] for check in json.loads("\n".join(as_json))["checks"]]
    assert f"every call has failed since {SINCE}; the log's status_failed lines say why" in details


def test_a_refused_port_says_what_to_check(doctor):
    # "balance call failed: connection refused by 127.0.0.1:9" had no fix in it.
    code, lines = doctor(DOWN)
    assert code == 1
    assert lines[-1] == (
        "FAIL panel down: key: environment variable SIM_KEY; balance call failed: connection "
        "refused by 127.0.0.1:9; is the panel up, and the port in panels[0].url right?"
    )


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_its_log_lines_come_in_the_format_asked(tmp_path, monkeypatch, fmt):
    # doctor wrote structlog's key=value lines whatever --log-format said: a
    # monitor asking for JSON got lines it could not read.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)
    (tmp_path / "tracker.toml").write_text(DOWN.replace("retries = 0", "retries = 1"))
    options = ["--log-level", "warning", "--log-format", fmt, "doctor"]
    result = CliRunner().invoke(main, options, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-1].startswith("FAIL panel down: "), result.stdout
    lines = result.stderr.splitlines()
    assert lines, result.output
    if fmt == "json":
        events = [json.loads(line) for line in lines]
        assert {"event": "panel_retry", "level": "warning", "panel": "down"}.items() <= events[
            -1
        ].items(), events
    else:
        assert "panel_retry" in lines[-1] and "panel=down" in lines[-1], lines
        assert not lines[-1].startswith("{"), lines


def test_on_a_terminal_its_log_lines_are_a_persons_unless_a_format_is_asked(tmp_path, monkeypatch):
    # Without --log-format, a terminal got structlog's key=value lines, 150
    # columns and more, where every other command writes lines for a person.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(screen_module, "stderr_is_terminal", lambda: True)
    (tmp_path / "tracker.toml").write_text(DOWN.replace("retries = 0", "retries = 1"))

    def stderr(*options: str) -> list[str]:
        args = ["--log-level", "warning", *options, "doctor"]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 1, result.output
        return result.stderr.splitlines()

    person = stderr()
    assert re.match(r"\d\d:\d\d:\d\d warning +panel_retry panel=down", person[0]), person
    assert max(map(len, person)) <= 80, person
    piped = stderr("--log-format", "console")  # asked for: every field, as before
    assert "[warning  ] panel_retry" in piped[-1] and "gave_up=True" in piped[-1], piped

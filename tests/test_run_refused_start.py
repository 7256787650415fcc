"""A `run` that cannot start leaves nothing behind: every check that can
refuse the start comes before the lock file and the database are made, so
a first start refused (the metrics port taken) leaves no empty database,
no lock file, and the next start is a first start, not "a tracker ran on
it before" (``store_created``); an existing database is left as it was,
not migrated by a daemon that never ran."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_upgrade import applied, old_database

from tracker.cli.main import main
from tracker.config.load import config_from_dict
from tracker.errors import TrackerError
from tracker.service.lock import DatabaseLock
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.store.schema import MIGRATIONS

DEADLINE = 20.0  # seconds: only ever reached when something hangs
KEY = "refused-start-key-Zq81"


def smm_tracker() -> list[str]:
    """The installed console script (as systemd runs it)."""
    script = Path(sys.executable).with_name("smm-tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def write_config(tmp_path: Path, port: int | None) -> Path:
    metrics = f'\n[metrics]\nlisten = "127.0.0.1:{port}"\n' if port else ""
    config = tmp_path / "tracker.toml"
    config.write_text(
        '[database]\npath = "tracker.db"\n\n'
        '[[panels]]\nname = "main"\nurl = "http://127.0.0.1:9/api/v2"\n'
        f'key_env = "REFUSED_KEY"\nretries = 0\n{metrics}'
    )
    return config


def start(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, REFUSED_KEY=KEY) if env is None else env
    environ.pop("NOTIFY_SOCKET", None)
    return subprocess.run(
        [*smm_tracker(), "--config", str(config), "run", *args],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env=environ,
    )


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_taken_metrics_port_refuses_the_start_leaving_no_file(tmp_path, taken_port):
    config = write_config(tmp_path, taken_port)
    result = start(config)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"smm-tracker: metrics.listen 127.0.0.1:{taken_port}: cannot listen (Address already "
        "in use); another program listens there (a second smm-tracker, another exporter: "
        f"`ss -ltnp 'sport = :{taken_port}'` names it): stop it, or set metrics.listen to "
        "another port"
    )  # one line: no migrations_applied before it, no traceback
    assert files(tmp_path) == ["tracker.toml"]  # no database, no -wal, no lock file

    # doctor still says what it said before the refused start: nothing made yet.
    runner = CliRunner()
    doctor = runner.invoke(main, ["--config", str(config), "doctor"], env={"REFUSED_KEY": KEY})
    assert f"database: {tmp_path / 'tracker.db'} will be created by the first run" in doctor.output
    assert files(tmp_path) == ["tracker.toml"]


def test_the_start_after_a_refused_one_is_a_first_start(tmp_path, taken_port):
    # Before: the refused start left an empty database and its lock file; the
    # user removed the empty database, and the next start alerted
    # store_created ("a tracker ran on it before"): none ever had.
    config = write_config(tmp_path, taken_port)
    assert start(config).returncode == 1
    (tmp_path / "tracker.db").unlink(missing_ok=True)  # what a refused start left: cleaned up
    write_config(tmp_path, None)  # the port put right (here: no endpoint)
    once = start(config, "--once")
    assert "store_created" not in once.stderr
    runner = CliRunner()
    alerts = runner.invoke(main, ["--config", str(config), "alerts", "--json"])
    assert alerts.exit_code == 0 and "store_created" not in alerts.output


def test_an_existing_database_is_left_as_it_was_by_a_refused_start(tmp_path, taken_port):
    # An upgrade with a wrong port: the older schema is not migrated by a
    # daemon that never starts (the version before can still be put back).
    database = tmp_path / "tracker.db"
    old_database(database, MIGRATIONS[-1])
    before = applied(database)
    digest = hashlib.sha256(database.read_bytes()).hexdigest()
    config = write_config(tmp_path, taken_port)
    result = start(config)
    assert result.returncode == 1 and "cannot listen" in result.stderr
    assert applied(database) == before
    assert hashlib.sha256(database.read_bytes()).hexdigest() == digest
    assert files(tmp_path) == ["tracker.db", "tracker.toml"]  # no lock file, no -wal


def test_a_daemon_holding_the_database_and_the_port_is_named_not_the_port(tmp_path, taken_port):
    # The same config started twice: the port is the first thing the second
    # meets, but what to do is the lock's (stop the daemon already running).
    config = write_config(tmp_path, taken_port)
    with DatabaseLock(tmp_path / "tracker.db"):
        result = start(config)
    assert result.returncode == 1
    line = result.stderr.strip()
    assert "\n" not in line and "is using database" in line and "stop it first" in line
    assert "tracker.db" not in files(tmp_path)  # the lock file is the holder's alone


@pytest.mark.parametrize("args", [(), ("--once",)])
@pytest.mark.parametrize(
    ("refusal", "code", "said"),
    [
        ("key", 2, "environment variable REFUSED_KEY is not set"),
        ("panel", 2, "--panel: "),
        ("config", 2, "at 'schedule.status_every'"),
    ],
)
def test_other_refused_starts_leave_no_file(tmp_path, args, refusal, code, said):
    config = write_config(tmp_path, None)
    env = dict(os.environ, REFUSED_KEY=KEY)
    extra: tuple[str, ...] = ()
    if refusal == "key":
        env.pop("REFUSED_KEY")
    elif refusal == "panel":
        extra = ("--panel", "nosuch")
    else:
        config.write_text(config.read_text() + '\n[schedule]\nstatus_every = "soon"\n')
    result = start(config, *args, *extra, env=env)
    assert result.returncode == code
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert files(tmp_path) == ["tracker.toml"]


def test_the_service_listens_before_it_builds_anything(tmp_path, taken_port):
    # The daemon's core started without `run`'s own listening (an embedding,
    # the tests): the port is still its first step, before the migrations.
    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": KEY}],
            "metrics": {"listen": f"127.0.0.1:{taken_port}"},
        },
        base_dir=tmp_path,
        env={},
    )
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    built: list[object] = []
    service._build = built.append  # type: ignore[method-assign,assignment]
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        with pytest.raises(TrackerError, match=f"127.0.0.1:{taken_port}: cannot listen"):
            service.run()
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert built == [] and files(tmp_path) == []

"""A `run --once` holding the database writes in its lock file what a
daemon's says (its panel alone, its config, its panels), so that `orders`'
and `balance`'s notes name the run they wait for: cron's `run --once` of
another config on the same database said only its PID before (newuser206).

A real `run --once` in a subprocess, held by a loopback panel that takes
the call and never answers; `orders` and `balance` in-process meanwhile."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from simconfig import OFFLINE_CONFIG, cli_in

from tracker.service.lock import DatabaseLock
from tracker.service.lock_seen import lock_path, seen

KEY = "k" * 24
NOT_CHECKED = "not checked on the panel yet, so its status is blank"


@pytest.fixture
def silent_panel() -> Iterator[str]:
    """A loopback port that takes a connection and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/api/v2"


def _cron_run(tmp_path: Path, url: str, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    """cron's `run --once` (its own config, the same database), held by the
    silent panel; returned once its lock file names its PID."""
    cron = tmp_path / "cron" / "cron.toml"
    cron.parent.mkdir()
    cron.write_text(
        f'[database]\npath = "{tmp_path / "t.db"}"\n[[panels]]\nname = "main"\n'
        f'url = "{url}"\nkey_env = "SMM_TEST_KEY"\nretries = 0\ntimeout = "60s"\n'
    )
    env = {**os.environ, "SMM_TEST_KEY": KEY}
    command = [sys.executable, "-m", "tracker", "--config", str(cron), "run", "--once", *extra]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        held = seen(tmp_path / "t.db")
        if held is not None and held.pid == proc.pid:  # its lines written in one write
            return proc, cron
        time.sleep(0.05)
    proc.kill()
    _, err = proc.communicate()
    raise AssertionError(f"run --once never held the database: {err.decode()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.communicate()


def test_orders_and_balance_name_the_run_once_and_its_config(tmp_path, monkeypatch, silent_panel):
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": KEY})
    assert cli("track", "5").exit_code == 0
    proc, cron = _cron_run(tmp_path, silent_panel)
    try:
        said = lock_path(tmp_path / "t.db").read_text().splitlines()
        orders, balance = cli("orders"), cli("balance")
    finally:
        _stop(proc)
    assert said == [str(proc.pid), "run --once", "panel=", f"config={cron}", "panels=main"]
    assert orders.stderr.strip() == (
        f"(order 5 {NOT_CHECKED}: smm-tracker run --once checks it once the one running now "
        f"(pid {proc.pid}, config {cron}) ends; the daemon (smm-tracker run) within "
        "schedule.status_every (5m))"
    )
    assert balance.stderr.strip() == (
        f"main: no balance fetched yet (a smm-tracker run --once runs on this database "
        f"(pid {proc.pid}, config {cron}): it or the next fetches it)"
    )


def test_a_run_once_of_this_config_and_another_panel_alone(tmp_path, monkeypatch):
    # Its own config: not named again; a --panel of another: not this panel's fetch.
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": KEY})
    assert cli("track", "5").exit_code == 0
    config = tmp_path / "tracker.toml"
    with DatabaseLock(tmp_path / "t.db", once=True, config=config, panels=["main"]):
        orders = cli("orders")
    assert f"once the one running now (pid {os.getpid()}) ends;" in orders.stderr
    with DatabaseLock(tmp_path / "t.db", once=True, panel="other", config=config):
        balance = cli("balance")
    assert balance.stderr.strip() == (
        "main: no balance fetched yet (a smm-tracker run --once runs on this database "
        f"(pid {os.getpid()}, run --once --panel other): the next run --once without "
        "--panel fetches it)"
    )

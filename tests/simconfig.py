"""What the CLI suites share: the tracker.toml they write (one simulated panel,
or an offline one), the clock they give the simulator, and the real CLI run
in-process from a directory holding that config (or as a process of its own)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner, Result

import tracker
from tracker.cli.main import main

SOURCE = str(Path(tracker.__file__).parents[1])  # this tree's tracker, in a subprocess too


def cli_process(
    directory: Path, args: list[str], *, stdout: int | IO[Any], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``smm-tracker ARGS`` as a process of its own in ``directory`` with
    ``env`` added and stdout to ``stdout`` (a file that fails, a closed pipe);
    return it with its stderr."""
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env, "PYTHONPATH": SOURCE},
        cwd=directory,
        timeout=60,
    )


# A panel nothing listens for (port 9, discard): for commands that read the
# database and never call the panel. Where one does (doctor, a daemon's jobs),
# its refused connection is not tried again: 4 retries' real backoff held a
# doctor 2 s and a `run --once` 17 s.
OFFLINE_CONFIG = """
[database]
path = "t.db"
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key_env = "SMM_TEST_KEY"
retries = 0
"""
TEST_KEY = "test-key-123456"


class PanelClock:
    """The simulated panels' (and trackers') time: moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


class LaterRuns:
    """The clock of ``run --once`` run in-process (``tracker.cli.run.utcnow``,
    which the run hands its jobs): the real one plus the seconds the test let
    pass with :meth:`advance`, in place of sleeping them. The other commands
    (track, orders, history) keep the real clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from tracker.clock import utcnow

        self.real, self.ahead = utcnow, timedelta()
        monkeypatch.setattr("tracker.cli.run.utcnow", self)

    def __call__(self) -> datetime:
        return self.real() + self.ahead

    def advance(self, seconds: float) -> None:
        self.ahead += timedelta(seconds=seconds)


def sim_config(
    url: str,
    *,
    panel: str = "",
    database: str = "",
    schedule: str = "",
    json_logs: bool = False,
    key_env: str = "SIM_KEY",
) -> str:
    """Given the simulator's URL, return a config for one panel named "sim"
    (database t.db, key from $SIM_KEY); extra lines go into their tables as
    written, so each test still shows what it changes."""
    lines = ["[database]", 'path = "t.db"', database]
    lines += ["[[panels]]", 'name = "sim"', f'url = "{url}"', f'key_env = "{key_env}"', panel]
    if schedule:
        lines += ["[schedule]", schedule]
    if json_logs:
        lines += ["[logging]", 'format = "json"']
    return "\n".join(line for line in lines if line) + "\n"


@contextmanager
def terminal_sim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, **config: str
) -> Iterator[Any]:
    """A simulated panel (seed 4, an hour a second) keyed ``key`` in
    $SIM_KEY, ``tmp_path`` the working directory holding its config
    (tracker.toml: :func:`sim_config` with ``retries = 0`` and ``config``'s
    other lines), and a terminal 80 columns wide; yield the panel."""
    from tracker.sim.server import PanelServer, SimulatedPanel

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", key)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    sim = SimulatedPanel(key=key, seed=4, speed=3600.0)
    with PanelServer(sim) as server:
        text = sim_config(server.url, panel="retries = 0", **config)
        (tmp_path / "tracker.toml").write_text(text)
        yield sim


def cli_in(
    directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str | None,
    *,
    env: dict[str, str | None] | None = None,
    prefix: tuple[str, ...] = (),
) -> Callable[..., Result]:
    """Write ``config`` (unless None) as ``directory``/tracker.toml, make
    ``directory`` the working directory with ``env`` set (None: unset) and no
    $SMM_TRACKER_CONFIG, and return cli(*args, input=None): the real CLI,
    in-process, with ``prefix`` before the arguments."""
    if config is not None:
        (directory / "tracker.toml").write_text(config)
    monkeypatch.chdir(directory)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    for name, value in (env or {}).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    runner = CliRunner()

    def cli(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, [*prefix, *args], input=input, catch_exceptions=False)

    return cli


def request_refills_once(db: Path, url: str, key: str, order_ids: list[int]) -> None:
    """Run the refill job's request step once for ``order_ids`` against the
    panel at ``url`` (no retry waits), storing in the database ``db``."""
    from tracker.clock import utcnow
    from tracker.config.model import PanelConfig, Secret
    from tracker.jobs.refill_requests import PanelModes, request_refills
    from tracker.panel.client import PanelClient
    from tracker.store.orders import Store

    panel = PanelConfig(name="sim", url=url, key=Secret(key), timeout=5.0)
    client = PanelClient(panel, sleep=lambda _seconds: None)
    store = Store(db)
    try:
        request_refills(store, client, order_ids, clock=utcnow, modes=PanelModes())
    finally:
        client.close()
        store.close()


def follow_refills_once(db: Path, url: str, key: str) -> None:
    """Run the refill job's follow step once against the panel at ``url``
    (no retries, no waits), storing in the database ``db``."""
    from tracker.clock import utcnow
    from tracker.config.model import PanelConfig, Secret
    from tracker.jobs.refill_follow import follow_refills
    from tracker.jobs.refill_requests import PanelModes
    from tracker.panel.client import PanelClient
    from tracker.store.orders import Store

    panel = PanelConfig(name="sim", url=url, key=Secret(key), timeout=5.0, retries=0)
    client = PanelClient(panel, sleep=lambda _seconds: None)
    store = Store(db)
    try:
        follow_refills(store, client, clock=utcnow, modes=PanelModes())
    finally:
        client.close()
        store.close()


@contextmanager
def scripted_panel(
    directory: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> Iterator[tuple[Any, dict[str, Any], Callable[..., Result]]]:
    """Yield (server, replies, cli): a panel on loopback answering each action
    with ``replies[action]`` (balance and services answered; any other action
    refused), and the real CLI configured for it with ``key``."""
    from hostile import HostileServer, json_reply

    replies: dict[str, Any] = {"balance": json_reply({"balance": "5"}), "services": json_reply([])}
    refusal = json_reply({"error": "Incorrect request"})
    server = HostileServer(lambda form: replies.get(form.get("action", ""), refusal)).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 3')
    try:
        yield server, replies, cli_in(directory, monkeypatch, config, env={"SIM_KEY": key})
    finally:
        server.stop()


def polled_then_answered(
    directory: Path, monkeypatch: pytest.MonkeyPatch, key: str, going: Any, answer: Any, alone: bool
) -> tuple[Result, list[str]]:
    """Track orders 7 and 8 and poll them (``going``: each one's answer), then
    run `run --once --all` again with status answered ``answer``: every call,
    or (``alone``) the call about order 7 alone that follows a multi answer
    leaving it out. Return that run and the status calls asked after the
    first poll (``orders=...`` or ``order=...``)."""
    from hostile import Reply, json_reply

    directory.mkdir()
    asked: list[str] = []
    with scripted_panel(directory, monkeypatch, key) as (server, replies, cli):
        replies["status"] = json_reply({"7": going, "8": going})
        assert cli("track", "7", "8").exit_code == 0
        assert cli("run", "--once", "--all").exit_code == 0

        def status(form: dict[str, str]) -> Reply:
            asked.append(
                f"orders={form['orders']}" if "orders" in form else f"order={form['order']}"
            )
            if alone and "orders" in form:
                return json_reply({"8": going})
            return json_reply(answer)

        server.respond = lambda form: (
            status(form) if form.get("action") == "status" else replies[form["action"]]
        )
        return cli("run", "--once", "--all"), asked


@contextmanager
def add_panel(
    directory: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> Iterator[tuple[Any, Callable[[Any], None], Callable[..., Result]]]:
    """Yield (server, set_reply, cli): a panel on loopback answering ``add``
    with what ``set_reply(reply)`` scripted last (any other action fails on
    the server's side: no witness answers), and the real CLI for it."""
    from hostile import HostileServer

    replies: dict[str, Any] = {}
    server = HostileServer(lambda form: replies[form.get("action", "")]).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 3')
    try:
        yield (
            server,
            partial(replies.__setitem__, "add"),
            cli_in(directory, monkeypatch, config, env={"SIM_KEY": key}),
        )
    finally:
        server.stop()


def tracked_ids(directory: Path) -> list[int]:
    """Return the IDs of the orders in ``directory``/t.db."""
    return [row[0] for row in stored_orders(directory)]


def stored_orders(directory: Path) -> list[tuple[int, str | None, int | None]]:
    """Return (order ID, status, remains) of every order in ``directory``/t.db."""
    with sqlite3.connect(directory / "t.db") as db:
        return list(db.execute("SELECT order_id, status, remains FROM orders ORDER BY order_id"))


def assert_added_once(server: Any, result: Result, directory: Path, order_id: int) -> None:
    """`add` printed ``order_id`` from an answer read at once: sent once, never
    "outcome unknown", the order tracked with no status yet."""
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(order_id)
    assert "outcome unknown" not in result.output
    assert [f["action"] for f in server.requests] == ["add"]  # sent once, read at once
    assert stored_orders(directory) == [(order_id, None, None)]


def assert_polled_once(server: Any, cli: Callable[..., Result], directory: Path) -> None:
    """Orders 7 and 8 tracked and polled by `run --once`: stored as the panel's
    answer says (7 In progress, 40 left; 8 Completed), in one status call."""
    assert cli("track", "7", "8").exit_code == 0
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert stored_orders(directory) == [(7, "In progress", 40), (8, "Completed", None)]
    assert [f["action"] for f in server.requests if f["action"] == "status"] == ["status"]

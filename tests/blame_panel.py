"""A scripted panel for the blame tests (tests/test_panel_blame*.py): its
balance works, its status calls answer what the test says, its catalogue is
empty; the orders of the test are tracked through the real CLI."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in

Respond = Callable[[dict[str, str]], Reply]


def config_for(give_up: str) -> Callable[[str, str], str]:
    """Return config(url, panel_lines): one panel "evil" at ``url`` (30 s
    timeout, one retry), ``schedule.unknown_give_up`` = ``give_up``, no refills."""

    def config(url: str, panel: str = "") -> str:
        return f"""
[database]
path = "t.db"
[[panels]]
name = "evil"
url = "{url}"
key_env = "BLAME_KEY"
timeout = "30s"
retries = 1
retry_budget = "30s"
{panel}
[schedule]
unknown_give_up = "{give_up}"
[refill]
enabled = false
"""

    return config


def status_of(order_id: int) -> dict[str, Any]:
    return {"charge": "0.5", "start_count": "10", "status": "In progress", "remains": "40"}


def asked(form: dict[str, str]) -> list[int]:
    """Return the order IDs a status call asked for (``orders=`` or ``order=``)."""
    return [int(i) for i in (form.get("orders") or form.get("order", "")).split(",")]


def shaped(form: dict[str, str], item_of: Callable[[int], dict[str, Any]]) -> Reply:
    """The answer to a status call as a panel shapes it, ``item_of(id)`` for
    each ID asked: ``orders=`` keyed by ID, ``order=`` the one item bare."""
    if "orders" not in form:
        return json_reply(item_of(int(form["order"])))
    return json_reply({str(i): item_of(i) for i in asked(form)})


@contextmanager
def serving(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: Callable[[str, str], str],
    ids: list[int],
    key: str,
) -> Iterator[Callable[..., tuple[Any, HostileServer]]]:
    """Yield start(status_answer, panel_config=""): serve a panel whose balance
    works and whose status calls are answered by ``status_answer(form)``, with
    ``config(url, panel_config)``; track ``ids``; return (cli, server)."""
    servers: list[HostileServer] = []

    def start(status: Respond, panel_config: str = "") -> tuple[Any, HostileServer]:
        def respond(form: dict[str, str]) -> Reply:
            if form.get("action") == "status":
                return status(form)
            if form.get("action") == "balance":
                return json_reply({"balance": "5.00", "currency": "USD"})
            return json_reply([])  # services: an empty catalogue

        server = HostileServer(respond).start()
        servers.append(server)
        cli = cli_in(
            tmp_path, monkeypatch, config(server.url, panel_config), env={"BLAME_KEY": key}
        )
        assert cli("track", *map(str, ids)).exit_code == 0
        return cli, server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def panel_fixture(config: Callable[[str, str], str], ids: list[int], key: str) -> Any:
    """Return a ``panel`` fixture yielding start(status_answer, panel_config=""):
    see :func:`serving`."""

    @pytest.fixture
    def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
        with serving(tmp_path, monkeypatch, config, ids, key) as start:
            yield start

    return panel


def stored(tmp_path: Path) -> dict[int, tuple[Any, ...]]:
    """Each order's status, error, error_count and polling, by order ID."""
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        rows = db.execute("SELECT order_id, status, error, error_count, polling FROM orders")
        return {r[0]: r[1:] for r in rows}
    finally:
        db.close()

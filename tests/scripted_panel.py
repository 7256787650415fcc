"""A panel scripted answer by answer, for the tests of how its words are read
(tests/test_bare_string_answers.py, test_refusal_words_4xx.py,
test_refusal_words_plain.py, test_panel_words_any_shape.py): the real CLI
over a loopback panel, or a client over a mock transport, and the rows the
CLI stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from blame_panel import config_for
from hostile import HostileServer, Reply
from simconfig import cli_in

from tracker.config.model import PanelConfig, Secret
from tracker.panel.client import PanelClient

Respond = Callable[[dict[str, str]], Reply]


def scripted_panels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, ids: list[int]
) -> Iterator[Any]:
    """A fixture's body: yield start(respond), a scripted panel answering every
    action with ``respond(form)`` and the real CLI on it with ``ids`` tracked,
    (cli, server); stop every panel started at the end."""
    servers: list[HostileServer] = []

    def start(respond: Respond) -> tuple[Any, HostileServer]:
        server = HostileServer(respond).start()
        servers.append(server)
        cli = cli_in(tmp_path, monkeypatch, config_for("1h")(server.url), env={"BLAME_KEY": key})
        assert cli("track", *map(str, ids)).exit_code == 0
        return cli, server

    yield start
    for server in servers:
        server.stop()


def rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` reads in the CLI's database (tmp_path/t.db)."""
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def client_answering(answer: Respond, key: str, retries: int = 0) -> tuple[PanelClient, list[str]]:
    """A client whose panel answers each request's form with ``answer(form)``;
    the actions asked, in order."""
    asked: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        asked.append(form["action"])
        reply = answer(form)
        return httpx.Response(reply.status, content=reply.body, headers=reply.headers)

    config = PanelConfig(
        name="t", url="https://panel.test/api/v2", key=Secret(key), retries=retries
    )
    return PanelClient(config, transport=httpx.MockTransport(handle)), asked

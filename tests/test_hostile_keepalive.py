"""A panel's server sending bytes after the body its Content-Length
declared (a newline, an HTML comment a framework appends) and keeping the
connection open: the HTTP library keeps them, and reads them as the start
of the next answer on that connection. An `add` sent on it ended "outcome
unknown ... answered with a first line that is no HTTP status line" though
the panel had answered it: another call's answer made an order's outcome
unknown. A call that may act (add, refill, cancel) now goes on a connection
of its own, never one an earlier answer left bytes on (nor one the server
may be closing as it idles: its request lost, its outcome unknown)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest
from raw_server import accepting, bodies

from tracker.config.model import PanelConfig, Secret
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "hostile-key-KeepAlive7304"
TRAILING = b"\n<!-- 0.004s -->\n"
ORDER = NewOrder(service=1, link="https://x.test/p", quantity=100)


def _answers(conn: socket.socket, answer: Callable[[bytes], bytes], opened: list[int]) -> None:
    """Answer each request on ``conn`` (kept open), its body then TRAILING."""
    opened.append(1)
    with conn:
        for body in bodies(conn):
            reply = answer(body)
            said = f"HTTP/1.1 200 OK\r\nContent-Length: {len(reply)}\r\n\r\n".encode()
            conn.sendall(said + reply + TRAILING)


@pytest.fixture
def panel() -> Iterator[tuple[PanelClient, list[int]]]:
    """A client of a panel whose every answer has bytes after it; the
    connections it opened, counted."""
    server = socket.create_server(("127.0.0.1", 0))
    opened: list[int] = []

    def answer(body: bytes) -> bytes:
        action = dict(p.split("=", 1) for p in body.decode().split("&"))["action"]
        if action == "add":
            return json.dumps({"order": 23501}).encode()
        return json.dumps({"balance": "5.00", "currency": "USD"}).encode()

    stop = accepting(server, lambda conn: _answers(conn, answer, opened))
    port = server.getsockname()[1]
    config = PanelConfig(
        name="p", url=f"http://127.0.0.1:{port}/api/v2", key=Secret(KEY), timeout=5, retries=0
    )
    client = PanelClient(config, sleep=lambda _seconds: None)
    yield client, opened
    client.close()
    stop()


def test_an_add_after_an_answer_with_bytes_after_it_is_placed(panel):
    client, _opened = panel
    assert str(client.balance().balance) == "5.00"
    order = client.add(ORDER)
    assert order == 23501


def test_each_add_goes_on_a_connection_of_its_own(panel):
    client, opened = panel
    client.balance()
    client.add(ORDER)
    client.add(ORDER)
    assert len(opened) == 3  # the balance's (kept for reads), and one for each add

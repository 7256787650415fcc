"""A panel's server sending a second whole answer after an answer (a
framework writing its page twice, a proxy's stale answer) on a kept-alive
connection. The HTTP library kept those bytes and read them as the answer
to the next request on that connection, an answer sent before that request
was even made: a poll read an order "Completed" that the panel, asked,
said was in progress (the worst case: an order read ended stops being
polled), and a balance's second answer made the next poll fail as "answered
nothing about the asked ID: {'balance': ...}". A connection on which bytes
came after an answer is now never used again."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest
from raw_server import accepting, bodies

from tracker.config.model import PanelConfig, Secret
from tracker.panel.client import PanelClient

KEY = "hostile-key-Pipelined6613"
IN_PROGRESS = {"101": {"status": "In progress", "charge": "1", "remains": "50"}}
COMPLETED = {"101": {"status": "Completed", "charge": "1", "remains": "0"}}
BALANCE = {"balance": "5.00", "currency": "USD"}


def _answer(value: object) -> bytes:
    body = json.dumps(value).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def _serve(conn: socket.socket, after_balance: bytes) -> None:
    """Answer each request on ``conn``, kept open; the balance's answer with
    ``after_balance`` right behind it."""
    with conn:
        for body in bodies(conn):
            if b"action=balance" in body:
                conn.sendall(_answer(BALANCE) + after_balance)
            else:
                conn.sendall(_answer(IN_PROGRESS))


@pytest.fixture
def panel() -> Iterator[Callable[[bytes], PanelClient]]:
    """A client of a panel whose balance answer has the given bytes after it."""
    server = socket.create_server(("127.0.0.1", 0))
    made: list[PanelClient] = []
    stops: list[Callable[[], None]] = []

    def make(after_balance: bytes) -> PanelClient:
        stops.append(accepting(server, lambda conn: _serve(conn, after_balance)))
        url = f"http://127.0.0.1:{server.getsockname()[1]}/api/v2"
        config = PanelConfig(name="p", url=url, key=Secret(KEY), timeout=5, retries=0)
        made.append(PanelClient(config, sleep=lambda _seconds: None))
        return made[-1]

    yield make
    for client in made:
        client.close()
    for stop in stops:
        stop()


def test_an_answer_sent_before_the_poll_asked_is_not_read_as_its_answer(panel):
    client = panel(_answer(COMPLETED))
    assert str(client.balance().balance) == "5.00"
    # Before: "Completed", the answer that came behind the balance's.
    assert client.statuses([101])[101].status == "In progress"


def test_a_second_answer_behind_a_balance_fails_no_poll(panel):
    client = panel(_answer({"balance": "9.00", "currency": "USD"}))
    assert str(client.balance().balance) == "5.00"
    # Before: BadAnswerError, "answered nothing about the asked ID: {'balance': '9.00', ...}".
    assert client.statuses([101])[101].status == "In progress"
    assert str(client.balance().balance) == "5.00"

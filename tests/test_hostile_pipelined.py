"""A panel's server sending a second whole answer after an answer (a
framework writing its page twice, a proxy's stale answer) on a kept-alive
connection. The HTTP library kept those bytes and read them as the answer
to the next request on that connection, an answer sent before that request
was even made: a poll read an order "Completed" that the panel, asked,
said was in progress (the worst case: an order read ended stops being
polled), and a balance's second answer made the next poll fail as "answered
nothing about the asked ID: {'balance': ...}". A connection on which bytes
came after an answer is now never used again; the answer they came behind
stands as read (it was whole)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from raw_server import accepting, bodies
from structlog.testing import capture_logs

from tracker.config.model import PanelConfig, Secret
from tracker.panel import deadline
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "hostile-key-Pipelined6613"
IN_PROGRESS = {"101": {"status": "In progress", "charge": "1", "remains": "50"}}
COMPLETED = {"101": {"status": "Completed", "charge": "1", "remains": "0"}}
BALANCE = {"balance": "5.00", "currency": "USD"}
ORDER = NewOrder(service=1, link="https://example.com/p/1", quantity=100)


def _answer(value: object) -> bytes:
    body = json.dumps(value).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def _chunked(value: object) -> bytes:
    body = json.dumps(value).encode()
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


class Server:
    """Answers each request on a kept-alive connection: the balance's answer
    (``first``) with ``after`` right behind it, or, given ``later``, once
    the test has read it (``read`` set; ``sent`` set once they are sent);
    each ``add`` with the next order ID, another add's answer behind it;
    anything else with IN_PROGRESS."""

    def __init__(self, after: bytes, first: Callable[[object], bytes], later: bool):
        self.after, self.first, self.later = after, first, later
        self.read, self.sent = threading.Event(), threading.Event()
        self.orders = iter(range(5001, 5100))

    def serve(self, conn: socket.socket) -> None:
        # A connection closed with bytes unread in the client's socket is reset.
        with conn, contextlib.suppress(ConnectionResetError):
            for body in bodies(conn):
                if b"action=balance" in body:
                    conn.sendall(self.first(BALANCE) + (b"" if self.later else self.after))
                    if self.later and self.read.wait(5):
                        conn.sendall(self.after)
                        self.sent.set()
                elif b"action=add" in body:
                    conn.sendall(_answer({"order": next(self.orders)}) + _answer({"order": 999}))
                else:
                    conn.sendall(_answer(IN_PROGRESS))


@pytest.fixture
def panel() -> Iterator[Callable[..., PanelClient]]:
    """A client of a panel whose balance answer has the given bytes after it."""
    server = socket.create_server(("127.0.0.1", 0))
    made: list[PanelClient] = []
    stops: list[Callable[[], None]] = []

    def make(after: bytes, first: Callable[[object], bytes] = _answer, later: bool = False):
        served = Server(after, first, later)
        stops.append(accepting(server, served.serve))
        url = f"http://127.0.0.1:{server.getsockname()[1]}/api/v2"
        config = PanelConfig(name="p", url=url, key=Secret(KEY), timeout=5, retries=0)
        made.append(PanelClient(config, sleep=lambda _seconds: None))
        made[-1].served = served  # type: ignore[attr-defined]
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


@pytest.mark.parametrize(
    "after",
    [
        pytest.param(b"\r\n", id="a newline"),
        pytest.param(b"<!-- cached 0.01s -->", id="junk"),
        pytest.param(json.dumps(COMPLETED).encode(), id="a body past its Content-Length"),
        pytest.param(b"HTTP/1.1 100 Continue\r\n\r\n" + _answer(COMPLETED), id="1xx, answer"),
        pytest.param(b"\r\n" + _answer(COMPLETED), id="a newline and an answer"),
        pytest.param(_answer(COMPLETED) * 3, id="three answers"),
    ],
)
def test_no_byte_behind_an_answer_is_read_as_the_next_calls(panel, after):
    client = panel(after)
    assert str(client.balance().balance) == "5.00"  # its own answer stands
    assert client.statuses([101])[101].status == "In progress"
    assert client.statuses([101])[101].status == "In progress"


def test_an_answer_behind_a_chunked_answer_is_not_read_as_the_next_calls(panel):
    client = panel(_answer(COMPLETED), first=_chunked)
    assert str(client.balance().balance) == "5.00"
    assert client.statuses([101])[101].status == "In progress"


def test_an_answer_sent_once_the_last_was_read_is_not_read_as_the_next_calls(panel):
    # Not in the HTTP library's buffer but waiting on the socket: the
    # connection is seen readable while idle, closed.
    client = panel(_answer(COMPLETED), later=True)
    assert str(client.balance().balance) == "5.00"
    client.served.read.set()
    assert client.served.sent.wait(5)
    assert client.statuses([101])[101].status == "In progress"


def test_an_add_never_reads_another_calls_answer(panel):
    # Each add's answer has another add's ({"order": 999}) behind it, as has
    # the balance read before them: each add reads the order it placed.
    client = panel(_answer({"order": 999}))
    assert str(client.balance().balance) == "5.00"
    assert client.add(ORDER) == 5001
    assert client.add(ORDER) == 5002
    assert client.statuses([101])[101].status == "In progress"
    assert client.add(ORDER) == 5003


def test_a_call_taking_the_connection_as_an_answer_ends_reads_its_own(panel, monkeypatch):
    # The HTTP library gives the connection back to its pool as the last of
    # the body is read, before the tracker had looked behind the answer:
    # another thread's call taking it then read what came behind the
    # balance's answer ("Completed") as its own.
    client = panel(_answer(COMPLETED))
    seen: list[str] = []

    class Racing(deadline.Inflater):
        def flush(self) -> bytes:  # the moment between the body's end and the look
            if not seen:
                seen.append("")
                other = threading.Thread(target=lambda: seen.append(polled()))
                other.start()
                other.join(10)
            return super().flush()

    def polled() -> str:
        return client.statuses([101])[101].status

    monkeypatch.setattr(deadline, "Inflater", Racing)
    assert str(client.balance().balance) == "5.00"
    assert seen == ["", "In progress"]
    assert polled() == "In progress"


@pytest.mark.usefixtures("fresh_logs")
def test_bytes_behind_an_answer_are_told_once_at_info_then_at_debug(panel):
    client = panel(b"\r\n" + _answer(COMPLETED))
    with capture_logs() as logs:
        client.balance()
        client.balance()
        client.statuses([101])  # nothing behind its answer: nothing told
        assert client.add(ORDER) == 5001  # on a connection of its own: told too
    told = [e for e in logs if e["event"] == "panel_bytes_after_answer"]
    behind = len(b"\r\n" + _answer(COMPLETED))
    said = {"event": "panel_bytes_after_answer", "panel": "p", "action": "balance", "bytes": behind}
    added = {**said, "action": "add", "bytes": len(_answer({"order": 999})), "log_level": "debug"}
    assert told == [{**said, "log_level": "info"}, {**said, "log_level": "debug"}, added]
    assert KEY not in repr(logs)

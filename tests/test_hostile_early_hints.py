"""A panel's server sending informational answers (``103 Early Hints``)
before its answer, on loopback.

The HTTP library reads and drops each 1xx and waits for the next: a server
sending them without end held the call to its deadline (a timeout, said as
no answer in time) with a core busy reading them (~10 CPU-seconds in 12 s),
and their bytes counted against no cap. They now count toward the answer's
size cap (``max_answer``): past it, the call fails as an answer too large,
at once; and past :data:`tracker.panel.informational.MAX_INFORMATIONAL` of them
too, however small. A few, then the answer: read as ever.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Callable, Iterator

import pytest
from raw_server import accepting, bodies

from tracker.config.model import PanelConfig, Secret
from tracker.errors import AnswerTooLargeError, PanelError
from tracker.panel.client import PanelClient
from tracker.panel.informational import MAX_INFORMATIONAL

KEY = "hostile-key-EarlyHints7781"
BALANCE = {"balance": "5.00", "currency": "USD"}
HINT = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
SHORT_HINT = b"HTTP/1.1 103 \r\n\r\n"


def _answer(value: object) -> bytes:
    body = json.dumps(value).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def _serve(conn: socket.socket, hints: int | None, hint: bytes) -> None:
    """Answer each request on ``conn`` with ``hints`` informational answers
    first, then the balance (None: hints until the client goes)."""
    with conn, contextlib.suppress(OSError):
        for _body in bodies(conn):
            if hints is None:
                while True:
                    conn.sendall(hint * 64)
            conn.sendall(hint * hints + _answer(BALANCE))


@pytest.fixture
def panel() -> Iterator[Callable[..., PanelClient]]:
    """A client of a panel whose answers come behind the given 1xx answers."""
    server = socket.create_server(("127.0.0.1", 0))
    made: list[PanelClient] = []
    stops: list[Callable[[], None]] = []

    def make(hints: int | None, hint: bytes = HINT, **settings: object) -> PanelClient:
        stops.append(accepting(server, lambda conn: _serve(conn, hints, hint)))
        url = f"http://127.0.0.1:{server.getsockname()[1]}/api/v2"
        config = PanelConfig(name="p", url=url, key=Secret(KEY), timeout=5, retries=0, **settings)
        made.append(PanelClient(config, sleep=lambda _seconds: None))
        return made[-1]

    yield make
    for client in made:
        client.close()
    for stop in stops:
        stop()


def test_a_few_early_hints_then_the_answer_are_read_as_ever(panel):
    assert str(panel(MAX_INFORMATIONAL - 1).balance().balance) == "5.00"


def test_early_hints_without_end_fail_as_an_answer_too_large(panel):
    client = panel(None, max_answer=4096)
    # Before: the whole 5 s timeout spent reading them, then a timeout.
    with pytest.raises(AnswerTooLargeError, match=r"answer larger than 4 kB .*max_answer"):
        client.balance()


def test_early_hints_past_the_cap_before_the_answer_fail_as_too_large(panel):
    client = panel(2000, max_answer=4096)  # ~140 kB of hints (reads of 64 kB), then an answer
    with pytest.raises(AnswerTooLargeError, match=r"answer larger than 4 kB"):
        client.balance()


def test_too_many_small_hints_fail_however_large_the_cap(panel):
    client = panel(None, SHORT_HINT, max_answer=64 * 1024 * 1024)
    with pytest.raises(PanelError, match=r"sent informational \(1xx\) answers without end"):
        client.balance()


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_heads_are_counted_whichever_reads_they_come_in(newline):
    # Each informational head once, wherever the reads cut the bytes (a blank
    # line cut in two included), and a final head's body not looked into.
    from tracker.panel.informational import Heads

    hint = b"HTTP/1.1 103 Early Hints" + newline + b"Link: </a.css>" + newline * 2
    final = b"HTTP/1.1 200 OK" + newline + b"Content-Length: 2" + newline * 2 + b"{}"
    stream = hint * 3 + final
    for cut in range(1, len(stream)):
        heads = Heads(1 << 20)
        heads.heard(stream[:cut])
        heads.heard(stream[cut:])
        assert heads.count == 4, cut
        assert heads.whole == len(stream) - 2, cut


def test_an_answer_with_no_informational_head_counts_none():
    from tracker.panel.informational import Heads

    heads = Heads(10)
    heads.heard(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + b"\n\n" * 20)
    heads.check()  # its blank lines are its body's, no head's: nothing counted
    assert (heads.count, heads.whole) == (0, 0)

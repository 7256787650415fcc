"""A panel's server taking a large request body slowly: a few kB every
0.2 s, never answering. httpcore gives each send of a write the call's whole
timeout again, so a write of a large body (an `add` with many custom
comments) went on as long as each send moved a little: a 2 s `add` held
for minutes, then said "no answer within 2s". Each write is now bounded by
the call's deadline: outcome unknown at the deadline, said as a request not
all sent. The client's send buffer is made small (as a busy machine's or a
slow link's is) so that the kernel does not take the whole body at once.

Within a piece, httpcore gave each send the time left at the piece's start
again: a server taking a little just before each send's timeout held one
piece several times the call's timeout past its deadline (a 30 s add for
minutes). Shown on a fake clock: a socket taking 1 kB per 0.5 s.

Encoding a large body (1.4 MB of comments: ~0.2 s, several on a busy
machine) was counted in the call's deadline: past it, the connection was
never made, said as `no connection ... within 2s (connect timeout)`. The
clock starts once the body is encoded."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import httpcore
import httpx
import pytest
from httpcore._backends.sync import SyncStream  # httpcore's own send loop, as on the network
from raw_server import accepting

from tracker.config.model import PanelConfig, Secret
from tracker.errors import OutcomeUnknownError
from tracker.panel import deadline, sockets
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "hostile-key-SlowReader5521"

_CHILD = textwrap.dedent(
    """
    import socket, sys
    import httpx
    from tracker.config.model import PanelConfig, Secret
    from tracker.errors import OutcomeUnknownError
    from tracker.panel.client import PanelClient
    from tracker.panel.models import NewOrder

    panel = PanelConfig(name="p", url=sys.argv[1], key=Secret(sys.argv[2]), timeout=2, retries=0)
    small = [(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)]
    client = PanelClient(panel, transport=httpx.HTTPTransport(socket_options=small))
    comments = "\\n".join(f"comment {n}" for n in range(100_000))  # 1.4 MB
    order = NewOrder(1, "https://x.test/p", 100_000, extra={"comments": comments})
    try:
        client.add(order)
    except OutcomeUnknownError as exc:
        print(exc)
    """
)


@pytest.fixture
def slow_reader() -> Iterator[str]:
    """A server taking 4 kB every 0.2 s of each request, answering nothing."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    server.listen()

    def take(conn: socket.socket) -> None:
        with conn:
            while conn.recv(4096):
                time.sleep(0.2)

    stop = accepting(server, take)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/api/v2"
    stop()


def test_an_add_whose_body_is_taken_slowly_ends_at_its_deadline(slow_reader):
    # Before: the child took ~100 s (each send of the 1.4 MB body given 2 s anew).
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, slow_reader, KEY],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    said = done.stdout.strip()
    assert "outcome unknown" in said
    assert "was not all sent within 2s (taken too slowly)" in said
    assert KEY not in done.stdout + done.stderr


class _Clock:
    """A fake monotonic clock, moved only by the socket below."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class _Trickling:
    """A panel's socket taking 1 kB per send, each send 0.5 s of the fake
    clock (a timeout under that: the send times out); it never answers."""

    STEP, TAKES = 0.5, 1024

    def __init__(self, clock: _Clock) -> None:
        self.clock, self.timeout = clock, None
        self.taken: list[float] = []  # when each send's bytes were taken

    def settimeout(self, timeout: float | None) -> None:
        self.timeout = timeout

    def send(self, data: bytes) -> int:
        if self.timeout is not None and self.timeout < self.STEP:
            self.clock.now += self.timeout
            raise TimeoutError("timed out")
        self.clock.now += self.STEP
        self.taken.append(self.clock.now)
        return min(len(data), self.TAKES)

    def recv(self, _size: int) -> bytes:
        self.clock.now += self.timeout or 0
        raise TimeoutError("timed out")

    def close(self) -> None:
        pass


class _Network(httpcore.NetworkBackend):
    def __init__(self, sock: _Trickling) -> None:
        self.sock = sock

    def connect_tcp(self, *_args: object, **_kwargs: object) -> httpcore.NetworkStream:
        return SyncStream(self.sock)  # type: ignore[arg-type]


def _trickled(monkeypatch: pytest.MonkeyPatch) -> tuple[_Clock, _Trickling, PanelClient]:
    """A 2 s panel on a fake clock, its socket :class:`_Trickling`."""
    clock = _Clock()
    monkeypatch.setattr(sockets, "time", clock)
    monkeypatch.setattr(deadline, "time", clock)
    sock = _Trickling(clock)
    network = httpx.HTTPTransport()
    network._pool._network_backend = _Network(sock)
    panel = PanelConfig(name="p", url="http://127.0.0.1:9/api/v2", key=Secret(KEY), timeout=2)
    return clock, sock, PanelClient(panel, transport=network)


_ORDER = NewOrder(1, "https://x.test/p", 100, extra={"comments": "x\n" * 20_000})


def test_a_send_within_a_piece_of_the_body_is_given_only_the_time_left(monkeypatch):
    # Before: the first 16 kB piece's 16 sends were each given 2 s: the
    # panel took bytes until 6.5 s after the 2 s deadline.
    _clock, sock, client = _trickled(monkeypatch)
    with pytest.raises(OutcomeUnknownError) as caught:
        client.add(_ORDER)
    assert "was not all sent within 2s (taken too slowly)" in str(caught.value)
    assert sock.taken and max(sock.taken) <= 1000.0 + 2  # nothing taken after the deadline
    assert KEY not in str(caught.value)


def test_the_deadline_starts_once_the_body_is_encoded(monkeypatch):
    # Before: the body's encoding (3 s here: a busy machine) spent the 2 s,
    # and the add said "no connection to 127.0.0.1:9 within 2s (connect timeout)".
    clock, sock, client = _trickled(monkeypatch)
    build = httpx.Client.build_request

    def slowly(self: httpx.Client, *args: object, **kwargs: object) -> httpx.Request:
        clock.now += 3
        return build(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.Client, "build_request", slowly)
    with pytest.raises(OutcomeUnknownError) as caught:
        client.add(_ORDER)
    assert "was not all sent within 2s (taken too slowly)" in str(caught.value)
    assert sock.taken  # the panel was given the request


@pytest.fixture
def held_reader() -> Iterator[str]:
    """A server taking the first 1000 bytes of each request, then reading no
    more (held: its receive buffer full), answering nothing."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    server.listen()
    done = threading.Event()

    def take(conn: socket.socket) -> None:
        with conn:
            conn.recv(1000)
            done.wait(10)

    stop = accepting(server, take)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/api/v2"
    done.set()
    stop()


def test_an_add_whose_body_the_server_stopped_taking_says_it_was_not_all_sent(held_reader):
    # Before: "no answer from 127.0.0.1:PORT within 1s", as if the panel had
    # the whole request; the body (64 kB) fits this end's send buffer, so
    # every write returned, and the rest waited in the kernel's queue.
    panel = PanelConfig(name="p", url=held_reader, key=Secret(KEY), timeout=1, retries=0)
    roomy = [(socket.SOL_SOCKET, socket.SO_SNDBUF, 256 * 1024)]
    client = PanelClient(panel, transport=httpx.HTTPTransport(socket_options=roomy))
    order = NewOrder(1, "https://x.test/p", 100, extra={"comments": "x\n" * 32_000})
    try:
        with pytest.raises(OutcomeUnknownError) as caught:  # judged as before: unknown
            client.add(order)
    finally:
        client.close()
    said = str(caught.value)
    assert "outcome unknown" in said
    assert "was not all sent within 1s (the server stopped taking it)" in said
    assert "no answer" not in said and KEY not in said

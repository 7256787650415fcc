"""A panel's server taking a large request body slowly: a few kB every
0.2 s, never answering. httpcore gives each send of a write the call's whole
timeout again, so a write of a large body (an `add` with many custom
comments) went on as long as each send moved a little: a 2 s `add` held
for minutes, then said "no answer within 2s". Each write is now bounded by
the call's deadline: outcome unknown at the deadline, said as a request not
all sent. The client's send buffer is made small (as a busy machine's or a
slow link's is) so that the kernel does not take the whole body at once."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from raw_server import accepting

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

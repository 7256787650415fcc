"""A loopback port that refuses connections for the rest of the test run.

A port merely free a moment ago (bound, read, closed) can be taken by
another test's server before the test connects to it (four xdist workers
start servers all the time), and the "refused" test then meets an answer.
Held bound without ``listen()``, the port refuses every connection (Linux
answers a SYN to a bound, non-listening socket with a reset) and no other
socket can take it until the process ends.
"""

from __future__ import annotations

import socket

_HELD: list[socket.socket] = []  # kept open: the ports stay ours


def closed_port() -> int:
    """Return a loopback port that refuses connections until the process ends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])

"""A loopback port that refuses connections for the rest of the test run.

A port merely free a moment ago (bound, read, closed) can be taken by
another test's server before the test connects to it (four xdist workers
start servers all the time), and the "refused" test then meets an answer.
Held bound without ``listen()``, the port refuses every connection (Linux
answers a SYN to a bound, non-listening socket with a reset) and no other
socket can take it until the process ends.
"""

from __future__ import annotations

import random
import socket

_HELD: list[socket.socket] = []  # kept open: the ports stay ours
_PICK = random.SystemRandom()  # its own: no test's random.seed() makes two workers pick alike


def closed_port() -> int:
    """Return a loopback port that refuses connections until the process ends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])


def free_port() -> int:
    """Return a loopback port free now, for a server a test starts (the
    daemon's ``metrics.listen``, the dashboard): taken at random below the
    kernel's ephemeral range (32768-60999 here), where no other test's
    ``bind(0)`` can be handed it between this look and the server's bind,
    as a port freed a moment ago was (``Address already in use``)."""
    for _ in range(100):
        port = _PICK.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port in 20000-32000")

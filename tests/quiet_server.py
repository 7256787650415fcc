"""A loopback HTTP server for tests, quiet about a client gone mid-request.

socketserver's ``handle_error`` prints a traceback on stderr for any
exception a handler raises; a client that resets its connection or closes
it before its answer (a timeout given up on, a size cap reached, a test's
own close) made one of every ``ConnectionResetError`` and ``BrokenPipeError``:
noise in the CI log, or in the output of whatever command a later test was
capturing then. Those are the normal event they are here, said nowhere; any
other error in a handler still prints its traceback.
"""

from __future__ import annotations

import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)  # the client hung up


class QuietServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer on 127.0.0.1 (a free port), its handlers in daemon threads,
    each connection's small writes sent at once (TCP_NODELAY, as the simulated
    panel's ``disable_nagle_algorithm``): http.server writes an answer's headers
    and its body apart, and Nagle held the body until the client's delayed ACK,
    ~40 ms a call on loopback (a test of 150 calls waited 6-7 s)."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], GONE):
            return
        super().handle_error(request, client_address)

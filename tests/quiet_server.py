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

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)  # the client hung up


class QuietServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer on 127.0.0.1 (a free port), its handlers in daemon threads."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], GONE):
            return
        super().handle_error(request, client_address)

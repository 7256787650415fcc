"""A raw loopback server's plumbing, for answers no HTTP library would
write: :func:`accepting` hands each connection to its own thread, and
:func:`bodies` yields each request's body read on a kept-alive one.

Stop a server with the function :func:`accepting` returns, never with
``close()`` alone: that leaves its thread blocked in ``accept()``, and a
signal that interrupts it has the kernel make the call again on the same
descriptor number, by then another test's listening socket in this
process. A refill world's panel (tests/refill_world.py) had its refill
request accepted there and answered by a finished test's script
(``{'balance': '5.00', ...}``: the refill's outcome unknown)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator


def accepting(server: socket.socket, handle: Callable[[socket.socket], None]) -> Callable[[], None]:
    """Accept connections on ``server``, each handled by ``handle(conn)`` in a
    thread of its own; return stop(): the accepting thread woken and ended,
    the socket closed, then each handler's thread waited for (5 s at most in
    all: a handler's own wait ends it, e.g. its client gone)."""

    handlers: list[threading.Thread] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            handlers.append(threading.Thread(target=handle, args=(conn,), daemon=True))
            handlers[-1].start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stop() -> None:
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)  # wakes accept(): close() alone would not
        thread.join(5)
        server.close()
        end = time.monotonic() + 5  # the handlers too, not left to a later test
        for handler in handlers:
            handler.join(max(0.0, end - time.monotonic()))

    return stop


def bodies(conn: socket.socket) -> Iterator[bytes]:
    """Yield the body of each request on ``conn`` (its Content-Length read),
    until the client closes it."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return
            buffer += data
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            int(v)
            for k, _, v in (line.partition(":") for line in lines[1:])
            if k.lower() == "content-length"
        )
        while len(buffer) < length:
            buffer += conn.recv(65536)
        body, buffer = buffer[:length], buffer[length:]
        yield body

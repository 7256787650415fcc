"""A raw loopback server's plumbing, for answers no HTTP library would
write: :func:`accepting` hands each connection to its own thread, and
:func:`bodies` yields each request's body read on a kept-alive one."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator


def accepting(server: socket.socket, handle: Callable[[socket.socket], None]) -> None:
    """Accept connections on ``server`` until it is closed, each handled by
    ``handle(conn)`` in a thread of its own."""

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()


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

"""A hostile panel (or webhook receiver) on loopback: each answer is scripted.

``HostileServer(respond)`` serves POSTs on 127.0.0.1 (port 0) from threads;
``respond(form)`` returns a :class:`Reply` (or a callable that writes the
answer itself, for the misbehaving ones: :func:`drip`, :func:`flood`).
``requests`` keeps every form received, to count attempts.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from quiet_server import QuietServer


@dataclass
class Reply:
    body: bytes = b"{}"
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


def json_reply(value: Any, status: int = 200) -> Reply:
    return Reply(json.dumps(value).encode(), status)


def statuses_panel(statuses: dict[str, str]) -> Callable[[dict[str, str]], Reply]:
    """A panel answering a balance of 50.00 USD, an empty catalogue and each
    asked order's status from ``statuses`` as it is at the call, remains 5."""

    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "50.00", "currency": "USD"})
        if form.get("action") == "services":
            return json_reply([])
        ids = form.get("orders", form.get("order", "")).split(",")
        return json_reply({i: {"status": statuses[i], "remains": "5"} for i in ids})

    return respond


def text_reply(text: str, status: int = 200) -> Reply:
    """A JSON body written by hand (escapes as a PHP panel writes them)."""
    return Reply(text.encode(), status)


Writer = Callable[[BaseHTTPRequestHandler], None]

JOIN = 5.0  # seconds a stop waits for the handlers' threads: only reached when one hangs


class JoinedServer(QuietServer):
    """A loopback ThreadingHTTPServer whose stop ends its handlers' threads too;
    quiet about a client gone mid-request (:class:`QuietServer`).

    Its handlers run in daemon threads, which ``server_close`` does not wait
    for: a handler still dripping or sleeping outlived its test, and a later
    test counting threads or capturing log lines saw it. A handler's waits
    go through ``closing`` (:func:`stopped`), set at :meth:`stop`, which then
    joins every handler's thread, ``JOIN`` seconds at most in all. A handler
    waiting for the next request on a kept-alive connection (a client never
    closed) is ended at :meth:`stop` by shutting its socket for reading (it
    reads the end of the connection), as a stopped server's would be: each
    such stop waited out the whole ``JOIN``. What it is writing it still
    writes."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(handler)
        self.closing = threading.Event()
        self.handlers: list[threading.Thread] = []
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def process_request(self, request: Any, client_address: Any) -> None:  # as ThreadingMixIn's
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        self.handlers = [t for t in self.handlers if t.is_alive()] + [thread]
        self._connections = {t: c for t, c in self._connections.items() if t.is_alive()}
        self._connections[thread] = request
        thread.start()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()
        for thread, connection in list(self._connections.items()):
            if thread.is_alive():
                with contextlib.suppress(OSError):  # closed by its handler meanwhile
                    connection.shutdown(socket.SHUT_RD)
        end = time.monotonic() + JOIN
        self._thread.join(JOIN)  # serve_forever's, returned: its thread's end
        for thread in self.handlers:
            thread.join(max(0.0, end - time.monotonic()))


def stopped(handler: BaseHTTPRequestHandler, seconds: float) -> bool:
    """Wait ``seconds`` in a handler; return True (at once) if its server stops."""
    closing = getattr(handler.server, "closing", None)
    if closing is None:
        time.sleep(seconds)
        return False
    return bool(closing.wait(seconds))


def drip(declared: int = 100_000, every: float = 0.2, *, headers_too: bool = False) -> Writer:
    """Announce ``declared`` bytes, then send one every ``every`` seconds (forever).

    With ``headers_too`` even the status line and headers come a byte at a time.
    """

    def write(handler: BaseHTTPRequestHandler) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\n\r\n".encode()
        try:
            if headers_too:
                for byte in head:
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    if stopped(handler, every):
                        return
            else:
                handler.wfile.write(head)
            for _ in range(declared):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                if stopped(handler, every):
                    return
        except OSError:
            pass  # the client hung up: what we wanted

    return write


def flood(total: int, *, declare: bool = False, chunk: int = 64 * 1024) -> Writer:
    """Send ``total`` bytes of a JSON-looking array as fast as the client reads,
    with or without a Content-Length saying so."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        length = f"Content-Length: {total}\r\n" if declare else "Connection: close\r\n"
        block = b'[{"service": 1},' * (chunk // 16)
        try:
            handler.wfile.write(f"HTTP/1.1 200 OK\r\n{length}\r\n".encode())
            sent = 0
            while sent < total:
                handler.wfile.write(block)
                sent += len(block)
        except OSError:
            pass
        handler.close_connection = True

    return write


def compressed(body: bytes, encoding: str = "gzip", *, spaces: int = 0) -> Writer:
    """Send ``body`` (with ``spaces`` blanks before its last byte) compressed with
    ``encoding`` (gzip or deflate), as declared by Content-Encoding: a few
    hundred kB can expand to hundreds of MB. Compressed once, here."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    parts = [packer.compress(body[:-1])]
    block = b" " * (1024 * 1024)
    for start in range(0, spaces, len(block)):
        parts.append(packer.compress(block[: min(len(block), spaces - start)]))
    packed = b"".join(parts) + packer.compress(body[-1:]) + packer.flush()

    def write(handler: BaseHTTPRequestHandler) -> None:
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Length: {len(packed)}\r\n"
            f"Content-Encoding: {encoding}\r\nContent-Type: application/json\r\n\r\n"
        )
        try:
            handler.wfile.write(head.encode() + packed)
        except OSError:
            pass

    return write


# A panel's words when its own server failed (its script may have acted first).
FAULTS = [
    "SQLSTATE[40001]: Serialization failure: 1213 Deadlock found",
    "Internal server error",
    "PDOException: could not connect",
]


class HostileServer:
    """Given ``respond(form) -> Reply | Writer``, serve it on a loopback port."""

    def __init__(self, respond: Callable[[dict[str, str]], Reply | Writer]):
        self.respond = respond
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    form = {"json": raw}
                else:
                    form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                outer.requests.append(form)
                answer = outer.respond(form)
                if callable(answer):
                    answer(self)
                    self.close_connection = True
                    return
                self.server_said = answer.headers.get("Server")  # in place of http.server's
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    if name != "Server":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def version_string(self) -> str:  # the Server header: a Reply's own, if any
                return getattr(self, "server_said", None) or super().version_string()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = JoinedServer(Handler)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/v2"

    def calls(self, action: str) -> int:
        """How many requests of ``action`` the panel was sent."""
        return sum(1 for form in self.requests if form.get("action") == action)

    def start(self) -> HostileServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def protocol_errors(writer: Writer, key: str, words: str) -> list[dict[str, Any]]:
    """Ask ``balance`` of a panel whose server answers with ``writer``; the
    call must fail with ``words``; return the ``panel_protocol_error`` lines
    it logged (h11's own words, kept at debug)."""
    import pytest
    from structlog.testing import capture_logs

    from tracker.config.model import PanelConfig, Secret
    from tracker.errors import TransientError
    from tracker.panel.client import PanelClient

    with HostileServer(lambda form: writer) as server:
        panel = PanelConfig(name="evil", url=server.url, key=Secret(key), timeout=5, retries=0)
        client = PanelClient(panel, sleep=lambda _seconds: None)
        with capture_logs() as logs, pytest.raises(TransientError, match=words):
            client.balance()
        client.close()
    return [e for e in logs if e["event"] == "panel_protocol_error"]

"""A simulated SMM panel speaking API v2 over loopback HTTP.

Used by ``smm-tracker demo``, by end-to-end and fault-injection tests, and
by the benchmark (up to a million orders). Standard library only.

    panel = SimulatedPanel(key="k", speed=2.0)
    with PanelServer(panel) as server:
        ...  # POST key=k&action=status&order=23501 to server.url

The panel's state and answers live in :mod:`tracker.sim.panel` (with
:mod:`tracker.sim.orders`, :mod:`tracker.sim.refills`,
:mod:`tracker.sim.faults` and :mod:`tracker.sim.catalogue`); this module is
the HTTP layer: it sleeps for latency and "slow" faults and drops connections
for "reset" ones, outside the panel's lock so requests overlap.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from tracker.sim.catalogue import (
    SERVICE_COMMENTS,
    SERVICE_FOLLOWERS,
    SERVICE_LIKES,
    SERVICE_TELEGRAM,
    SERVICE_TIKTOK,
    SERVICE_VIEWS,
    SERVICES,
)
from tracker.sim.faults import KINDS as FAULT_KINDS
from tracker.sim.faults import FaultPlan, Reply, json_reply
from tracker.sim.orders import OrderView, SimRefusal
from tracker.sim.panel import SimulatedPanel

__all__ = [
    "FAULT_KINDS",
    "SERVICES",
    "SERVICE_COMMENTS",
    "SERVICE_FOLLOWERS",
    "SERVICE_LIKES",
    "SERVICE_TELEGRAM",
    "SERVICE_TIKTOK",
    "SERVICE_VIEWS",
    "FaultPlan",
    "OrderView",
    "PanelServer",
    "SimRefusal",
    "SimulatedPanel",
]

MAX_BODY = 1 << 20
FORM = "application/x-www-form-urlencoded"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the benchmark opens many connections at once

    def __init__(
        self,
        address: tuple[str, int],
        panel: SimulatedPanel,
        api_path: str,
        latency_from_arrival: bool,
    ):
        self.panel = panel
        self.api_path = api_path.rstrip("/")
        self.latency_from_arrival = latency_from_arrival
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.handlers: list[threading.Thread] = []  # waited for at stop (server_close does not)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """ThreadingMixIn's, each handler's (daemon) thread kept."""
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        self.handlers = [t for t in self.handlers if t.is_alive()] + [thread]
        thread.start()

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), which
        # can stall for seconds on a machine without DNS; we need none.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout after a "slow" fault, stop()) makes
        # the late write fail; that is expected, not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        if seconds > 0:
            self.stopping.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx's pool expects
    server_version = "nginx"
    sys_version = ""
    timeout = 120  # idle keep-alive connections end eventually
    arrived = 0.0  # when the request line was read (time.monotonic())
    # Headers and body go out in two writes; with Nagle on, the second waits
    # for a delayed ACK and every keep-alive request costs 40 ms.
    disable_nagle_algorithm = True

    @property
    def _server(self) -> _Server:
        return cast(_Server, self.server)

    def setup(self) -> None:
        super().setup()
        with self._server.connections_lock:
            self._server.connections.add(self.connection)

    def finish(self) -> None:
        with self._server.connections_lock:
            self._server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass  # the client, or a "reset" fault, closed it first

    def log_message(self, format: str, *args: Any) -> None:
        # Silent: request lines would clutter test output, and this must
        # never grow into logging bodies, which carry the API key.
        return

    def parse_request(self) -> bool:
        self.arrived = time.monotonic()
        return super().parse_request()

    def do_GET(self) -> None:
        self._send(json_reply(405, {"error": "Method Not Allowed"}, {"Allow": "POST"}))

    def do_POST(self) -> None:
        body = self._read_body()
        if body is None:
            return
        if urlsplit(self.path).path.rstrip("/") != self._server.api_path:
            self._send(json_reply(404, {"error": "Not Found"}))
            return
        server = self._server
        if server.latency_from_arrival:
            # The panel's own work is inside its latency, as a client timing a
            # real panel sees it: the answer leaves `latency` after the request
            # arrived (or when the work is done, if that takes longer).
            reply = server.panel.answer(self._form(body))
            server.pause(self.arrived + server.panel.latency - time.monotonic())
        else:
            server.pause(server.panel.latency)
            reply = server.panel.answer(self._form(body))
        server.pause(reply.delay)
        if reply.reset:
            self._reset()
        else:
            self._send(reply)

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._send(json_reply(400, {"error": "Incorrect request"}))
            return None
        return self.rfile.read(length)

    def _form(self, body: bytes) -> dict[str, str]:
        # Like PHP's $_POST: only form-encoded bodies count, the last
        # duplicate wins, and blank fields are present but empty.
        if self.headers.get_content_type() != FORM:
            return {}
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees a reset, not EOF.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class PanelServer:
    """Serve a :class:`SimulatedPanel` on 127.0.0.1 (a free port) in daemon threads.

    Give it a panel, or the keyword arguments to make one. Use it as a
    context manager, or call :meth:`start` and :meth:`stop`.

    The panel's ``latency`` is slept before each answer is worked out, so its
    own work (and its wait for the GIL behind other requests) comes on top;
    with ``latency_from_arrival`` the answer is worked out first and sent
    ``latency`` after the request arrived, as a panel measured from outside
    answers (the benchmark's ideal assumes that panel).
    """

    def __init__(
        self,
        panel: SimulatedPanel | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/api/v2",
        latency_from_arrival: bool = False,
        **panel_options: Any,
    ):
        self.panel = panel if panel is not None else SimulatedPanel(**panel_options)
        self._httpd = _Server((host, port), self.panel, path, latency_from_arrival)
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}{path}"

    def start(self) -> PanelServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="sim-panel",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers, close open connections and
        wait for the handlers' threads to end (5 s at most in all)."""
        if self._thread is None:
            self._httpd.server_close()
            return
        self._httpd.stopping.set()
        self._httpd.shutdown()
        with self._httpd.connections_lock:
            for connection in list(self._httpd.connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._thread = None
        end = time.monotonic() + 5
        for handler in self._httpd.handlers:  # the serving thread gone: no more started
            handler.join(max(0.0, end - time.monotonic()))

    def __enter__(self) -> PanelServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

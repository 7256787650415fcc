"""The metrics endpoint's HTTP side: ``/metrics`` from a registry, in a thread.

prometheus_client picks the format from the scraper's ``Accept`` header (the
text format by default, OpenMetrics when asked). Our own small server rather
than ``start_http_server``: it answers 404 off ``/metrics``, ``HEAD`` without
a body, listens on IPv6 and IPv4 at once for ``[::]``, never resolves its own
name (which can stall without DNS), and reports a taken port as one line.

A scraper cannot cost the daemon more than CLIENTS threads: a connection is
taken from the kernel's queue (BACKLOG deep, where a waiting one costs the
process nothing) only when one of CLIENTS slots is free, and each connection
must send its whole request within REQUEST_DEADLINE. Under systemd's
``TasksMax`` a thread per connection let a scraper holding a hundred
connections open leave the jobs unable to start theirs.
"""

from __future__ import annotations

import io
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from tracker.errors import TrackerError
from tracker.rules.listen_doctor import listen_problem
from tracker.service.lock import AlreadyRunningError
from tracker.service.lock_holder import holder_of
from tracker.service.lock_seen import holding, lock_path, refusal

log = structlog.get_logger("tracker.metrics")

CLIENTS = 8  # connections served at once: a thread each
BACKLOG = 256  # connections the kernel keeps waiting for a slot (200 scrapers at once)
REQUEST_DEADLINE = 5.0  # seconds from a slot to the request's last header line
REPLY_TIMEOUT = 10.0  # seconds to write the answer (sendall's whole wait)
SLOT_WAIT = 0.5  # how often a wait for a slot looks whether the server is stopping


class _Deadline(io.RawIOBase):
    """A socket's reading side that gives up at a deadline, however the bytes
    trickle in (a timeout per ``recv`` lets a byte every few seconds hold on)."""

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._sock.settimeout(left)
        return self._sock.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    timeout = REPLY_TIMEOUT  # the request itself: REQUEST_DEADLINE, in setup()
    server_version = "smm-tracker"

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the plain reader: its reference would keep the socket open
        deadline = time.monotonic() + REQUEST_DEADLINE
        self.rfile = io.BufferedReader(_Deadline(self.connection, deadline))

    def version_string(self) -> str:
        return self.server_version  # no Python version (nor the space before it)

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, *, body: bool) -> None:
        if self.path.split("?", 1)[0] not in ("/metrics", "/metrics/"):
            self._reply(404, b"not found; try /metrics\n", "text/plain; charset=utf-8", body)
            return
        registry = cast(_Server, self.server).registry
        encode, content_type = choose_encoder(self.headers.get("Accept", ""))
        try:
            text = encode(registry)
        except Exception as exc:  # a scrape must never take the daemon down
            log.error("metrics_failed", error=str(exc), error_type=type(exc).__name__)
            failed = b"metrics collection failed; see the log\n"
            self._reply(500, failed, "text/plain; charset=utf-8", body)
            return
        self._reply(200, text, content_type, body)

    def _reply(self, status: int, text: bytes, content_type: str, body: bool) -> None:
        self.connection.settimeout(REPLY_TIMEOUT)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if body:
            self.wfile.write(text)

    def log_message(self, format: str, *args: Any) -> None:
        return  # scrapes every 15 s would drown the journal


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG
    registry: CollectorRegistry

    def __init__(self, address: tuple[str, int], handler: type[_Handler], bind: bool = True):
        self.slots = threading.BoundedSemaphore(CLIENTS)
        self.closing = threading.Event()
        super().__init__(address, handler, bind)

    def get_request(self) -> tuple[socket.socket, Any]:
        # A connection is taken only with a slot for it: those beyond wait in
        # the kernel's queue. OSError: socketserver's "nothing to take".
        while not self.slots.acquire(timeout=SLOT_WAIT):
            if self.closing.is_set():
                raise OSError("the metrics server is stopping")
        try:
            return super().get_request()
        except BaseException:
            self.slots.release()
            raise

    def process_request(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: its slot is free again
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver printed a traceback on stderr, outside the JSON log: a
        # scraper gone mid-answer is no news; anything else is one line.
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            log.debug("metrics_client_gone", error=str(error))
        else:
            log.error("metrics_failed", error=str(error), error_type=type(error).__name__)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves our own name (getfqdn): useless here,
        # and it can stall where DNS is unreachable.
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """Given host and port (0 = any free port), listen there at once; serve
    ``registry`` at /metrics from :meth:`serve` (at once when given here).

    Raise TrackerError naming the address if it cannot listen there. The
    daemon listens before it locks or opens its database (:func:`listen_first`)
    and serves once its jobs are built: a scrape meanwhile waits in the queue.
    """

    def __init__(self, host: str, port: int, registry: CollectorRegistry | None = None):
        try:
            self._httpd = _server(host, port)
        except OSError as exc:
            why, fix = listen_problem(host, port, exc)  # doctor's words
            said = f"metrics.listen {shown_address(host, port)}: cannot listen ({why})"
            raise TrackerError(f"{said}; {fix}" if fix else said) from None
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread: threading.Thread | None = None
        self._closed = False
        if registry is not None:
            self.serve(registry)

    def serve(self, registry: CollectorRegistry) -> None:
        """Answer scrapes from ``registry``, in a thread of the server's own."""
        self._httpd.registry = registry
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.5},
            name="metrics",
            daemon=True,
        )
        self._thread.start()
        log.info("metrics_listening", host=self.host or "*", port=self.port)

    def stop(self) -> None:
        """Stop serving and let the port go; again: nothing."""
        if self._closed:
            return
        self._closed = True
        self._httpd.closing.set()  # a wait for a slot ends within SLOT_WAIT
        if self._thread is not None:  # shutdown() waits for serve_forever: only once served
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def listen_first(host: str, port: int, database: Path) -> MetricsServer:
    """The daemon's endpoint, listening before the daemon takes its database's
    lock or opens it: a port it cannot listen on refuses the start with
    nothing made (no lock file, no database, an existing one not migrated).
    Taken by a run already using ``database`` (one config started twice),
    that run's lock is what is said, as when the lock came first (through
    another path to the file too: a hard link, its holder's lock file)."""
    try:
        return MetricsServer(host, port)
    except TrackerError:
        held = holding(database)  # never creates the lock file; through another name too
        if held is None:
            raise
        other = holder_of(database)  # /proc/locks: nothing opened on the database
        lock = other.lock if other is not None and other.lock else lock_path(database)
        if not os.path.lexists(lock):  # another name's holder, its files not to be read
            lock = Path(os.path.realpath(database))
        raise AlreadyRunningError(refusal(database, lock, *held)) from None


def _server(host: str, port: int, *, bind: bool = True) -> _Server:
    """The endpoint's server for host and port, bound and listening (``bind``
    False: its socket made, with the options the daemon's has, not bound)."""
    cls = _Server6 if ":" in host else _Server
    # An empty host means every IPv4 interface; "[::]:PORT" for IPv6 too.
    return cls((host or "0.0.0.0", port), _Handler, bind)


def shown_address(host: str, port: int) -> str:
    """Host and port as the endpoint's lines say them: "[::1]:9464", "*:9464"."""
    return f"[{host}]:{port}" if ":" in host else f"{host or '*'}:{port}"


def bind_failure(host: str, port: int) -> OSError | None:
    """Bind host and port as the daemon's endpoint does (the same socket, the
    same options), without listening, and let it go at once: return the error
    the daemon's start would meet there (a port another program listens on,
    a host not found or not this machine's), None when it is free. For
    ``doctor``: a socket only bound holds off no daemon starting meanwhile."""
    server = _server(host, port, bind=False)
    try:
        server.server_bind()
    except OSError as exc:
        return exc
    finally:
        server.server_close()
    return None

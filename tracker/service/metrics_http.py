"""The metrics endpoint's HTTP side: ``/metrics`` from a registry, in a thread.

prometheus_client picks the format from the scraper's ``Accept`` header (the
text format by default, OpenMetrics when asked). Our own small server rather
than ``start_http_server``: it answers 404 off ``/metrics``, ``HEAD`` without
a body, listens on IPv6 and IPv4 at once for ``[::]``, never resolves its own
name (which can stall without DNS), and reports a taken port as one line.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from tracker.errors import TrackerError

log = structlog.get_logger("tracker.metrics")


class _Handler(BaseHTTPRequestHandler):
    timeout = 10  # a stalled client cannot hold a thread for long
    server_version = "smm-tracker"

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
    registry: CollectorRegistry

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
    """Given host and port (0 = any free port), serve ``registry`` at /metrics.

    Raise TrackerError naming the address if it cannot listen there.
    """

    def __init__(self, host: str, port: int, registry: CollectorRegistry):
        cls = _Server6 if ":" in host else _Server
        try:
            # An empty host means every IPv4 interface; "[::]:PORT" for IPv6 too.
            self._httpd = cls((host or "0.0.0.0", port), _Handler)
        except OSError as exc:
            shown = f"[{host}]:{port}" if ":" in host else f"{host or '*'}:{port}"
            raise TrackerError(
                f"metrics.listen {shown}: cannot listen ({exc.strerror or exc})"
            ) from None
        self._httpd.registry = registry
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.5},
            name="metrics",
            daemon=True,
        )
        self._thread.start()
        log.info("metrics_listening", host=host or "*", port=self.port)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

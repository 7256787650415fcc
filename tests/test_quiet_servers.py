"""The tests' loopback HTTP servers: a client gone mid-request is no error.

socketserver's ``handle_error`` printed a ``ConnectionResetError`` traceback
on stderr whenever a client reset its connection (a timeout given up on, a
size cap, a test's own close): noise in the CI log, or in the output of
whatever command a later test was capturing then. A reset or a broken pipe
is said nowhere now; any other error in a handler still prints its
traceback, as before.
"""

from __future__ import annotations

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from hostile import HostileServer, Reply
from quiet_server import QuietServer

from tracker.sim.server import PanelServer

BIG = 4 << 20  # an answer no socket buffer holds: its write meets the reset


def _request(body: bytes) -> bytes:
    return (
        b"POST /api/v2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )


REQUEST = _request(b"action=balance")


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the server's side sees a reset, not an EOF."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _port(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


def test_a_client_reset_before_its_answer_prints_nothing(capfd: pytest.CaptureFixture[str]):
    asked, gone = threading.Event(), threading.Event()

    def respond(_form: dict[str, str]) -> Reply:
        asked.set()
        gone.wait(10)  # the answer is written once the client has reset
        return Reply(b" " * BIG)

    with HostileServer(respond) as server:
        client = _connect(_port(server.url))
        client.sendall(REQUEST)
        assert asked.wait(10)
        _reset(client)
        gone.set()
    assert server.requests == [{"action": "balance"}]
    assert capfd.readouterr().err == ""


def test_a_client_reset_mid_request_prints_nothing(capfd: pytest.CaptureFixture[str]):
    with HostileServer(lambda _form: Reply()) as server:
        client = _connect(_port(server.url))
        client.sendall(REQUEST[:30])  # the request line, part of a header: then a reset
        _reset(client)
    assert server.requests == []
    assert capfd.readouterr().err == ""


def test_the_plain_test_server_is_quiet_about_a_reset_too(capfd: pytest.CaptureFixture[str]):
    # QuietServer: the tests' ad-hoc ThreadingHTTPServers (webhook and
    # notify receivers, a TLS panel, a metrics endpoint) are of its kind.
    handled = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))

    class Watched(QuietServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            try:
                super().handle_error(request, client_address)
            finally:
                handled.set()

    server = Watched(Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        client = _connect(server.server_address[1])
        client.sendall(REQUEST[:30])
        _reset(client)
        assert handled.wait(10)  # the reset reached the handler, its error handled
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert capfd.readouterr().err == ""


def test_a_real_error_in_a_handler_still_shows_its_traceback(capfd: pytest.CaptureFixture[str]):
    def respond(_form: dict[str, str]) -> Reply:
        raise RuntimeError("the test's own panel is broken")

    with HostileServer(respond) as server:
        client = _connect(_port(server.url))
        client.sendall(REQUEST)
        assert client.recv(100) == b""  # the handler died: the connection closed, unanswered
        client.close()
    err = capfd.readouterr().err
    assert "Traceback" in err
    assert "RuntimeError: the test's own panel is broken" in err


def test_the_simulated_panel_says_nothing_of_a_client_gone(capfd: pytest.CaptureFixture[str]):
    # `smm-tracker simulate` and `demo` serve this: a client that resets
    # mid-request or before its answer is nothing to tell the user.
    with PanelServer(key="k", seed=1, speed=600.0) as server:
        port = _port(server.url)
        partial = _connect(port)
        partial.sendall(REQUEST[:30])
        _reset(partial)
        for _ in range(5):
            whole = _connect(port)
            whole.sendall(_request(b"key=k&action=services"))
            _reset(whole)
    assert capfd.readouterr().err == ""

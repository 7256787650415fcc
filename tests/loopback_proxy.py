"""Loopback proxies and the proxy environment, for tests of calls through a proxy.

What tests/test_panel_proxy.py, test_panel_proxy_tunnel.py,
test_webhook_proxy.py and test_webhook_misdirected.py each built: a proxy
answering CONNECT (:func:`answering`), one reading CONNECT and answering
nothing (:func:`silent`), a port whose accept queue is full
(``unanswering``), a closed port (:func:`closed_port`), a resolver that
answers too late (``unresolving``) and the environment with no proxy but
the test's (``proxy_env``). No socket leaves loopback.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

VARS = "$HTTPS_PROXY, $HTTP_PROXY or $ALL_PROXY"
PASSWORD = "proxy-pw-9Zq"  # the proxy's password: never shown
_NAMES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


class LoopbackProxy:
    """A proxy on a loopback port: ``serve(connection, closing)`` handles each
    connection in its own thread (``closing`` set at :meth:`close`); the
    connections counted in ``asked``."""

    def __init__(self, serve: Callable[[socket.socket, threading.Event], None]):
        self.asked = 0
        self.closing = threading.Event()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner.asked += 1
                try:
                    serve(self.request, owner.closing)
                except OSError:
                    pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


def connect_reply(status: bytes) -> bytes:
    """A proxy's whole answer to CONNECT with ``status`` ("502 Bad Gateway")."""
    return b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n"


def answering(answer: bytes) -> LoopbackProxy:
    """A proxy that reads each CONNECT and sends ``answer`` (raw bytes)."""

    def serve(connection: socket.socket, _closing: threading.Event) -> None:
        connection.recv(4096)  # CONNECT host:443 HTTP/1.1
        connection.sendall(answer)

    return LoopbackProxy(serve)


def silent() -> LoopbackProxy:
    """A proxy that reads each CONNECT and answers nothing until closed."""

    def serve(connection: socket.socket, closing: threading.Event) -> None:
        connection.recv(4096)  # CONNECT host:443 HTTP/1.1
        closing.wait()

    return LoopbackProxy(serve)


def tunnelling(then: Callable[[socket.socket], None]) -> LoopbackProxy:
    """A proxy that opens every tunnel (200 to CONNECT), the far end ``then``."""

    def serve(connection: socket.socket, _closing: threading.Event) -> None:
        connection.recv(4096)  # CONNECT host:443 HTTP/1.1
        connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        then(connection)

    return LoopbackProxy(serve)


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """No proxy from the machine's environment; return use(port, host=
    "127.0.0.1", user=True): the proxy there (with a user and PASSWORD,
    unless not ``user``) carries every https:// call."""
    for name in _NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

    def use(port: int, host: str = "127.0.0.1", *, user: bool = True) -> None:
        who = f"me:{PASSWORD}@" if user else ""
        monkeypatch.setenv("HTTPS_PROXY", f"http://{who}{host}:{port}")

    return use


@pytest.fixture
def unanswering() -> Iterator[int]:
    """Return the port of a loopback listener whose accept queue is full: a
    connect to it gets no answer to its SYN (dropped by the kernel), as a
    proxy's host that is down or firewalled."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # Linux queues one connection, then drops SYNs
    port = listener.getsockname()[1]
    held = socket.create_connection(("127.0.0.1", port))  # never accepted
    with socket.socket() as probe:
        probe.settimeout(0.5)
        answered = probe.connect_ex(("127.0.0.1", port)) == 0
    if not answered:
        yield port
    held.close()
    listener.close()
    if answered:
        pytest.skip("this kernel answers a connect to a full accept queue")


@pytest.fixture
def unresolving(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], list[str]]]:
    """Return hang(host): ``host`` is looked up by a resolver that answers
    only at the test's end (EAI_AGAIN, as one that gave up); hang returns
    the list of its lookups, each listed as it starts."""
    real, ending = socket.getaddrinfo, threading.Event()
    hung: dict[str, list[str]] = {}
    waiting: list[threading.Thread] = []  # the lookups' threads, ended at the test's end

    def resolver(host: str, *args: Any, **kwargs: Any) -> Any:
        if host in hung:
            hung[host].append(host)
            waiting.append(threading.current_thread())
            ending.wait()
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    yield lambda host: hung.setdefault(host, [])
    ending.set()
    for thread in waiting:
        thread.join(10)

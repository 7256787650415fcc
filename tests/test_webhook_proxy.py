"""A webhook POST through a proxy that times out names the proxy, as a panel call's.

Through ``$HTTPS_PROXY`` a proxy whose port never answers the TCP handshake
logged "no answer (ConnectTimeout)", a proxy that took the connection and
never answered CONNECT "no answer (ReadTimeout)", and a proxy host whose
lookup the resolver never answered "no answer (ConnectTimeout)": no word of
the proxy, as if the receiver were silent. Now each names the proxy's host
and port (never its user nor password; never the webhook's URL nor host: the
URL holds a token), and each is still retried. Real loopback proxies; no
resolver is asked (``getaddrinfo`` is replaced) and no socket leaves loopback.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.alerts.webhook import WebhookSink
from tracker.rules.episodes import Alert

pytestmark = pytest.mark.usefixtures("fresh_logs")

TOKEN = "T0003/B0004/proxiedHookToken7Qw"
HOOK = f"https://hooks.example/services/{TOKEN}"
ALERT = Alert("balance_low", "main: balance 4.20 USD is below 10.00", panel="main", id=7)
VARS = "$HTTPS_PROXY, $HTTP_PROXY or $ALL_PROXY"
PASSWORD = "proxy-pw-3Kd"
TRIES = 2  # a try and a retry: each timeout below is retried, as every one is


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch):
    """Return use(host, port): that proxy, with a user and password, carries the POST."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)

    def use(host: str, port: int) -> None:
        monkeypatch.setenv("HTTPS_PROXY", f"http://me:{PASSWORD}@{host}:{port}")

    return use


def deliver() -> tuple[list[float], list[dict[str, Any]]]:
    """Send ALERT to HOOK in TRIES tries, each within 1 s, with no real waits
    between them; return the waits before retries and the log lines (not debug)."""
    waits: list[float] = []
    sink = WebhookSink(HOOK, timeout=1, attempts=TRIES, sleep=waits.append)
    with capture_logs() as logs:
        assert sink.send(ALERT)
        assert sink.flush(30)
    sink.close()
    lines = [e for e in logs if e["log_level"] != "debug"]
    assert TOKEN not in repr(lines) and "hooks.example" not in repr(lines)
    assert PASSWORD not in repr(lines) and "me:" not in repr(lines)
    return waits, lines


def failed_line(error: str) -> dict[str, Any]:
    return {
        "event": "webhook_failed",
        "log_level": "warning",
        "alert": "balance_low",
        "alert_id": 7,
        "panel": "main",
        "error": error,
    }


@pytest.fixture
def unanswering() -> Iterator[int]:
    """Return the port of a loopback listener whose accept queue is full: a
    connect to it gets no answer to its SYN, as a proxy down or firewalled."""
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


def test_a_proxy_that_never_answers_the_connect_is_named(proxy_env, unanswering):
    proxy_env("127.0.0.1", unanswering)
    waits, logs = deliver()
    assert len(waits) == TRIES - 1  # retried: the proxy may come back
    said = f"no connection to the proxy 127.0.0.1:{unanswering} within 1s (connect timeout)"
    assert logs == [failed_line(f"{said}; check {VARS}")]


class SilentProxy:
    """A loopback proxy that reads each CONNECT and answers nothing; its tunnels counted."""

    def __init__(self) -> None:
        self.asked = 0
        self.closing = threading.Event()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner.asked += 1
                self.request.recv(4096)  # CONNECT hooks.example:443 HTTP/1.1
                owner.closing.wait()

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_proxy_silent_to_connect_is_named(proxy_env):
    proxy = SilentProxy()
    proxy_env("127.0.0.1", proxy.port)
    try:
        waits, logs = deliver()
    finally:
        proxy.close()
    assert proxy.asked == TRIES and len(waits) == TRIES - 1  # retried
    said = f"the proxy 127.0.0.1:{proxy.port} opened no tunnel to the webhook within 1s"
    assert logs == [failed_line(f"{said} (no answer to CONNECT)")]


@pytest.fixture
def unresolving(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """``slow-proxy.example`` is looked up by a resolver that answers only
    at the test's end (EAI_AGAIN, as one that gave up); each lookup listed."""
    real, asked, ending = socket.getaddrinfo, [], threading.Event()

    def resolver(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "slow-proxy.example":
            asked.append(host)
            ending.wait()
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    yield asked
    ending.set()


def test_a_proxy_host_the_resolver_does_not_answer_in_time_names_the_resolver(
    proxy_env, unresolving
):
    proxy_env("slow-proxy.example", 3128)
    waits, logs = deliver()
    assert unresolving == ["slow-proxy.example"]  # one lookup, waited for by each try
    assert len(waits) == TRIES - 1  # retried: the resolver may answer
    said = "no connection to the proxy slow-proxy.example:3128 within 1s (connect timeout: "
    said += f"its host was not resolved in time); check {VARS}, and the resolver"
    assert logs == [failed_line(said)]


def test_a_tls_failure_inside_the_tunnel_names_the_webhook_and_the_proxy(proxy_env):
    # It said "cannot connect to the proxy: [SSL: ...]": the proxy opened
    # the tunnel; what answered plain HTTP inside it is the webhook's end.
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            try:
                self.request.recv(4096)  # CONNECT hooks.example:443 HTTP/1.1
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.request.recv(4096)  # the TLS ClientHello, answered as HTTP
                self.request.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
            except OSError:
                pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    serving = {"poll_interval": 0.05}
    threading.Thread(target=server.serve_forever, kwargs=serving, daemon=True).start()
    proxy_env("127.0.0.1", port)
    try:
        waits, logs = deliver()
    finally:
        server.shutdown()
        server.server_close()
    assert len(waits) == TRIES - 1  # may be the proxy's own answer: retried as before
    [line] = logs
    said = f"cannot connect to the webhook through the proxy 127.0.0.1:{port}: [SSL: "
    assert line == failed_line(line["error"]) and line["error"].startswith(said)

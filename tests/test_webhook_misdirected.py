"""A webhook URL that can never work fails at the first attempt (hooks brief).

A host the resolver says does not exist, an ``https://`` URL on a port that
answers plain HTTP and a refused TLS certificate were retried for the
alert's whole retry budget (60 s) to fail the same way, the alerts behind it
waiting. Now: one attempt, one ``webhook_failed`` line naming the setting to
fix (never the URL, nor its host: the URL holds a token), counted once. A
resolver that cannot answer now, and a proxy's failures, are retried as
before. Counted in attempts (lookups, connections, waits), never in seconds;
no resolver is asked (``getaddrinfo`` is replaced) and no socket leaves
loopback.
"""

from __future__ import annotations

import shutil
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import loopback_proxy
import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from loopback_proxy import PASSWORD, VARS, connect_reply
from ports import closed_port
from structlog.testing import capture_logs

import tracker.alerts.outcomes as outcomes
import tracker.alerts.webhook as webhook
import tracker.service.metrics as metrics
from tracker.alerts.deliveries import Deliveries
from tracker.alerts.webhook import ATTEMPTS, WebhookSink
from tracker.rules.episodes import Alert

pytestmark = pytest.mark.usefixtures("fresh_logs")

TOKEN = "T0001/B0002/misdirectedHookToken9Zx"
ALERT = Alert("balance_low", "main: balance 4.20 USD is below 10.00", panel="main", id=7)
FIX = "alerts.webhook_url (or webhook_url_file)"
PROXY = VARS


@pytest.fixture(autouse=True)
def no_proxy(proxy_env) -> None:
    """No proxy from the machine's environment: each test says its own."""


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Deliveries:
    """This test's own alert_deliveries_total counters, as a scrape reads them."""
    fresh = Deliveries()
    monkeypatch.setattr(webhook, "DELIVERIES", fresh)
    monkeypatch.setattr(outcomes, "DELIVERIES", fresh)  # sent and failed counted there
    monkeypatch.setattr(metrics, "DELIVERIES", fresh)
    return fresh


class Receiver:
    """A loopback port counting the connections made to it: plain HTTP that
    answers 400 to anything, or (``tls``) a TLS server with that context."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.connections = 0
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner.connections += 1
                try:
                    if tls is not None:  # the client refuses the certificate
                        tls.wrap_socket(self.request, server_side=True).close()
                        return
                    self.request.recv(4096)  # a TLS ClientHello, read as HTTP
                    self.request.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
                except OSError:
                    pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/hook/{TOKEN}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def plain() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def self_signed(tmp_path: Path) -> Iterator[Receiver]:
    """A TLS receiver whose certificate no CA vouches for."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hook",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    side.load_cert_chain(str(cert), str(key))
    receiver = Receiver(side)
    yield receiver
    receiver.close()


def deliver(url: str) -> tuple[list[float], list[dict[str, Any]], WebhookSink]:
    """Send ALERT to ``url`` with room for every retry and no real waits;
    return the waits before retries, the log lines (not debug), the sink."""
    waits: list[float] = []
    sink = WebhookSink(url, timeout=5, sleep=waits.append)
    with capture_logs() as logs:
        assert sink.send(ALERT)
        assert sink.flush(10)
    sink.close()
    return waits, [e for e in logs if e["log_level"] != "debug"], sink


def failed_line(error: str) -> dict[str, Any]:
    return {
        "event": "webhook_failed",
        "log_level": "warning",
        "alert": "balance_low",
        "alert_id": 7,
        "panel": "main",
        "error": error,
    }


def test_a_webhook_host_that_does_not_exist_is_tried_once(lookups, counts):
    waits, logs, sink = deliver(f"https://hooks.example.invalid/services/{TOKEN}")
    assert (len(lookups), waits) == (1, [])  # one attempt, no retry
    error = f"the webhook URL's host does not exist (the resolver said so): check {FIX}"
    assert logs == [failed_line(error)]
    assert (sink.sent, sink.failed) == (0, 1)
    assert counts.snapshot() == {("webhook", "sent"): 0, ("webhook", "failed"): 1,
                                 ("webhook", "dropped"): 0, ("webhook", "given_up"): 0}  # fmt: skip
    assert TOKEN not in repr(logs) and "hooks.example" not in repr(logs)


def test_a_resolver_that_cannot_answer_now_is_still_retried(lookups, counts):
    waits, logs, _sink = deliver(f"https://busy.example/services/{TOKEN}")
    assert (len(lookups), len(waits)) == (ATTEMPTS, ATTEMPTS - 1)
    # It said "no answer (ConnectError)": no receiver was ever asked.
    said = "the webhook URL's host was not resolved (Temporary failure in name resolution)"
    assert logs == [failed_line(f"{said}: is the DNS resolver reachable?")]
    assert counts.snapshot()[("webhook", "failed")] == 1


def test_a_resolver_that_does_not_answer_in_time_is_named_and_retried(unresolving):
    # It said "no answer (ConnectTimeout)": no receiver was ever dialled, the
    # lookup of its host took the time.
    asked = unresolving("slow-hooks.example")
    waits: list[float] = []
    sink = WebhookSink(
        f"https://slow-hooks.example/h/{TOKEN}", timeout=1, attempts=2, sleep=waits.append
    )
    with capture_logs() as logs:
        assert sink.send(ALERT)
        assert sink.flush(30)
    sink.close()
    assert len(waits) == 1 and asked == ["slow-hooks.example"]  # retried, one lookup shared
    said = "the webhook URL's host was not resolved within 1s: is the DNS resolver reachable?"
    assert [e for e in logs if e["log_level"] != "debug"] == [failed_line(said)]
    assert TOKEN not in repr(logs) and "slow-hooks" not in repr(logs)


def test_a_proxy_that_does_not_resolve_is_not_called_a_wrong_webhook_url(lookups, monkeypatch):
    # The host not found is the proxy's, not the webhook URL's: retried as ever.
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    waits, logs, _sink = deliver(f"https://hooks.example/services/{TOKEN}")
    assert lookups == ["proxy.invalid"] * ATTEMPTS and len(waits) == ATTEMPTS - 1
    # It said "no answer (ConnectError)": the proxy's name is what to check,
    # then "the proxy's host was not resolved": which proxy, not said.
    said = "the proxy proxy.invalid:3128 was not resolved (Name or service not known): check "
    assert logs == [failed_line(f"{said}{PROXY}, and the resolver")]


def test_https_on_a_plain_http_port_is_tried_once(plain, counts):
    waits, logs, sink = deliver(plain.url)
    assert (plain.connections, waits) == (1, [])
    [line] = logs
    said = "the webhook answered plain HTTP on an https:// URL: use http:// or the TLS port"
    said += f" in {FIX} ("  # and OpenSSL's reason
    assert line == failed_line(line["error"]) and line["error"].startswith(said)
    assert counts.snapshot()[("webhook", "failed")] == 1 and sink.failed == 1
    assert TOKEN not in repr(logs) and "127.0.0.1" not in repr(logs)


def test_a_refused_certificate_is_tried_once(self_signed, counts):
    waits, logs, _sink = deliver(self_signed.url)
    assert (self_signed.connections, waits) == (1, [])
    [line] = logs
    assert line["event"] == "webhook_failed"
    assert line["error"] == (
        "the webhook's TLS certificate was refused (self-signed certificate): "
        f"check {FIX}, the receiver's certificate, or the CA bundle ($SSL_CERT_FILE)"
    )
    assert counts.snapshot()[("webhook", "failed")] == 1


def test_a_refused_port_is_still_retried(counts):
    port = closed_port()
    waits, logs, _sink = deliver(f"http://127.0.0.1:{port}/hook/{TOKEN}")
    assert len(waits) == ATTEMPTS - 1  # the receiver may be restarting
    # It said "no answer (ConnectError)": the receiver's port refused it.
    refused = f"connection refused: is the receiver up, and the port in {FIX} right?"
    assert logs == [failed_line(refused)]
    assert TOKEN not in repr(logs) and "127.0.0.1" not in repr(logs)


def test_a_proxy_that_refuses_the_connection_is_named_not_the_receiver(monkeypatch):
    # It said "is the receiver up, and the port in alerts.webhook_url right?":
    # the receiver was never reached; the proxy's port refused (then: "the
    # proxy refused the connection", not which).
    port = closed_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    waits, logs, _sink = deliver(f"https://hooks.example/services/{TOKEN}")
    assert len(waits) == ATTEMPTS - 1  # the proxy may be restarting
    said = f"the proxy 127.0.0.1:{port} refused the connection: is it up, and {PROXY} right?"
    assert logs == [failed_line(said)]


@pytest.mark.parametrize(
    ("answer", "tries", "said"),
    [
        (b"502 Bad Gateway", ATTEMPTS, "could not reach the webhook: it answered 502 "
         "Bad Gateway"),
        (b"407 Proxy Authentication Required", 1, "refused the tunnel to the webhook: "
         f"it answered 407 Proxy Authentication Required; check {PROXY}"),
    ],
)  # fmt: skip
def test_a_proxy_refusing_the_tunnel_says_its_answer(proxy_env, answer, tries, said):
    # It said "HTTP failure (ProxyError)", tried once: a proxy's 502 (the
    # receiver behind it down a moment) not retried, and no word of whose;
    # then "the proxy could not reach the webhook", not which proxy.
    proxy = loopback_proxy.answering(connect_reply(answer))
    proxy_env(proxy.port)
    try:
        waits, logs, _sink = deliver(f"https://hooks.example/services/{TOKEN}")
    finally:
        proxy.close()
    assert proxy.asked == tries and len(waits) == tries - 1
    assert logs == [failed_line(f"the proxy {proxy.url.split('//')[1]} {said}")]
    assert TOKEN not in repr(logs) and PASSWORD not in repr(logs)


def test_a_forwarding_proxys_407_is_said_as_its_tried_once(monkeypatch, counts):
    # An http:// webhook's POST is forwarded, not tunnelled: the proxy's 407
    # came as the receiver's answer, "HTTP 407: <html>...", no word of the proxy
    # (then "the proxy refused the request", not which).
    page = b"<html><body><h1>Cache Access Denied</h1></body></html>"
    proxy = loopback_proxy.answering(
        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
        b'Proxy-Authenticate: Basic realm="proxy"\r\nContent-Type: text/html\r\n'
        b"Content-Length: " + str(len(page)).encode() + b"\r\n\r\n" + page
    )
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    try:
        waits, logs, sink = deliver(f"http://hooks.example/services/{TOKEN}")
    finally:
        proxy.close()
    assert (proxy.asked, waits) == (1, [])  # credentials: no retry cures them
    said = f"the proxy {proxy.url.split('//')[1]} refused the request to the webhook: it "
    said += "answered 407 Proxy Authentication"
    assert logs == [failed_line(f"{said} Required; check {PROXY}")]
    assert counts.snapshot()[("webhook", "failed")] == 1 and sink.failed == 1
    assert TOKEN not in repr(logs)


def test_an_apprise_target_whose_host_does_not_exist_is_tried_once(lookups):
    # Apprise says only that a delivery failed (its result has no cause), so
    # the words cannot name the fix; it tries a URL once unless it asks ?retry=N.
    pytest.importorskip("apprise")
    from tracker.alerts.notify import NotifyTarget

    target = NotifyTarget(f"json://hooks.example.invalid/{TOKEN}", 0, timeout=5)
    assert target.deliver(ALERT) == "delivery failed"
    assert lookups == ["hooks.example.invalid"]

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
from typing import Any

import loopback_proxy
import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from loopback_proxy import PASSWORD, VARS
from structlog.testing import capture_logs

from tracker.alerts.webhook import WebhookSink
from tracker.rules.episodes import Alert

pytestmark = pytest.mark.usefixtures("fresh_logs")

TOKEN = "T0003/B0004/proxiedHookToken7Qw"
HOOK = f"https://hooks.example/services/{TOKEN}"
ALERT = Alert("balance_low", "main: balance 4.20 USD is below 10.00", panel="main", id=7)
TRIES = 2  # a try and a retry: each timeout below is retried, as every one is


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


def test_a_proxy_that_never_answers_the_connect_is_named(proxy_env, unanswering):
    proxy_env(unanswering)
    waits, logs = deliver()
    assert len(waits) == TRIES - 1  # retried: the proxy may come back
    said = f"no connection to the proxy 127.0.0.1:{unanswering} within 1s (connect timeout)"
    assert logs == [failed_line(f"{said}; check {VARS}")]


def test_a_proxy_silent_to_connect_is_named(proxy_env):
    proxy = loopback_proxy.silent()
    proxy_env(proxy.port)
    try:
        waits, logs = deliver()
    finally:
        proxy.close()
    assert proxy.asked == TRIES and len(waits) == TRIES - 1  # retried
    said = f"the proxy 127.0.0.1:{proxy.port} opened no tunnel to the webhook within 1s"
    assert logs == [failed_line(f"{said} (no answer to CONNECT)")]


def test_a_proxy_host_the_resolver_does_not_answer_in_time_names_the_resolver(
    proxy_env, unresolving
):
    asked = unresolving("slow-proxy.example")
    proxy_env(3128, "slow-proxy.example")
    waits, logs = deliver()
    assert asked == ["slow-proxy.example"]  # one lookup, waited for by each try
    assert len(waits) == TRIES - 1  # retried: the resolver may answer
    said = "no connection to the proxy slow-proxy.example:3128 within 1s (connect timeout: "
    said += f"its host was not resolved in time); check {VARS}, and the resolver"
    assert logs == [failed_line(said)]


def test_a_tls_failure_inside_the_tunnel_names_the_webhook_and_the_proxy(proxy_env):
    # It said "cannot connect to the proxy: [SSL: ...]": the proxy opened
    # the tunnel; what ended the handshake inside it is the webhook's end.
    def hung_up(tunnel: socket.socket) -> None:
        tunnel.recv(4096)  # the TLS ClientHello, answered by closing

    proxy = loopback_proxy.tunnelling(hung_up)
    proxy_env(proxy.port)
    try:
        waits, logs = deliver()
    finally:
        proxy.close()
    assert len(waits) == TRIES - 1  # retried: the receiver may be restarting
    [line] = logs
    said = f"cannot connect to the webhook through the proxy 127.0.0.1:{proxy.port}: "
    assert line == failed_line(line["error"]) and line["error"].startswith(said)


def test_a_plain_http_answer_inside_an_opened_tunnel_is_tried_once(proxy_env):
    # It was retried (the plain answer might have been the proxy's): the
    # proxy said 200 to CONNECT, so what answered plain HTTP is the webhook's
    # port, and no retry cures an https:// URL on it.
    def plain_http(tunnel: socket.socket) -> None:
        tunnel.recv(4096)  # the TLS ClientHello, answered as HTTP
        tunnel.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    proxy = loopback_proxy.tunnelling(plain_http)
    proxy_env(proxy.port)
    try:
        waits, logs = deliver()
    finally:
        proxy.close()
    assert (proxy.asked, waits) == (1, [])  # one attempt
    [line] = logs
    said = "the webhook answered plain HTTP on an https:// URL: use http:// or the TLS port"
    said += " in alerts.webhook_url (or webhook_url_file) ("  # and OpenSSL's reason
    assert line == failed_line(line["error"]) and line["error"].startswith(said)

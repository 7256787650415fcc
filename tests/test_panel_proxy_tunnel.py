"""A proxy that never answers CONNECT sent nothing to the panel, and says so.

Through ``$HTTPS_PROXY`` the call waits for the proxy's answer to CONNECT
before a byte of the request goes: a proxy that took the connection and
never answered read as the panel's silence, "no answer from
panel.example:443 within 1s", and ``add`` said "outcome unknown — check the
panel" for an order the tunnel never carried. A real loopback proxy here
reads the CONNECT and says nothing until the test ends.
"""

from __future__ import annotations

import socket

import loopback_proxy
import pytest

from tracker.config.model import PanelConfig, Secret
from tracker.errors import MisdirectedError, TransientError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "tunnel-key-8Hq3Vb7Nc1"
URL = "https://panel.example/api/v2"


@pytest.fixture
def silent(proxy_env):
    proxy = loopback_proxy.silent()
    proxy_env(proxy.port, user=False)
    yield proxy
    proxy.close()


def test_a_proxy_silent_to_connect_places_no_order_and_is_named(silent):
    settings = PanelConfig(name="p", url=URL, key=Secret(KEY), timeout=1.0, retries=1)
    calls: list[bool] = []
    observe = [lambda _panel, _action, ok, _seconds, _error: calls.append(ok)]
    panel = PanelClient(settings, observers=observe, sleep=lambda _seconds: None)
    with pytest.raises(TransientError) as raised:  # not OutcomeUnknownError
        panel.add(NewOrder(1, "https://x.example", 10))
    panel.close()
    assert not raised.value.maybe_sent and calls == [False, False]  # nothing sent: retried
    assert raised.value.detail == (
        f"the proxy 127.0.0.1:{silent.port} opened no tunnel to panel.example:443 "
        "within 1s (no answer to CONNECT)"
    )
    assert KEY not in str(raised.value)


@pytest.mark.parametrize("action", ["balance", "add"])
def test_a_plain_http_answer_inside_an_opened_tunnel_is_asked_once(proxy_env, action):
    # It said "TLS handshake failed — is this an https URL on a plain-HTTP
    # port?", retried (the plain answer might have been the proxy's): the
    # proxy said 200 to CONNECT, so what answered plain HTTP is the panel's port.
    def plain_http(tunnel: socket.socket) -> None:
        tunnel.recv(4096)  # the TLS ClientHello, answered as HTTP
        tunnel.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    proxy = loopback_proxy.tunnelling(plain_http)
    proxy_env(proxy.port)
    settings = PanelConfig(name="p", url=URL, key=Secret(KEY), timeout=3.0, retries=2)
    calls: list[bool] = []
    observe = [lambda _panel, _action, ok, _seconds, _error: calls.append(ok)]
    panel = PanelClient(settings, observers=observe, sleep=lambda _seconds: None)
    try:
        with pytest.raises(MisdirectedError) as raised:
            panel.balance() if action == "balance" else panel.add(
                NewOrder(1, "https://x.example", 10)
            )
    finally:
        panel.close()
        proxy.close()
    assert proxy.asked == 1 and calls == [False]  # asked once: no retry cures it
    assert not raised.value.maybe_sent  # add: nothing was sent, no order placed
    said = "panel.example:443 answered plain HTTP on an https:// URL: use http:// or the TLS port ("
    assert raised.value.detail.startswith(said)
    assert KEY not in str(raised.value)

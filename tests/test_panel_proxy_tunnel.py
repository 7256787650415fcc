"""A proxy that never answers CONNECT sent nothing to the panel, and says so.

Through ``$HTTPS_PROXY`` the call waits for the proxy's answer to CONNECT
before a byte of the request goes: a proxy that took the connection and
never answered read as the panel's silence, "no answer from
panel.example:443 within 1s", and ``add`` said "outcome unknown — check the
panel" for an order the tunnel never carried. A real loopback proxy here
reads the CONNECT and says nothing until the test ends.
"""

from __future__ import annotations

import socketserver
import threading

import pytest

from tracker.config.model import PanelConfig, Secret
from tracker.errors import TransientError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "tunnel-key-8Hq3Vb7Nc1"
URL = "https://panel.example/api/v2"


class SilentProxy:
    """A loopback proxy that reads each CONNECT and answers nothing."""

    def __init__(self) -> None:
        self.closing = threading.Event()
        closing = self.closing

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.recv(4096)  # CONNECT panel.example:443 HTTP/1.1
                closing.wait()

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


@pytest.fixture
def silent(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    proxy = SilentProxy()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
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

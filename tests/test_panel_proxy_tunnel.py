"""A proxy that never answers CONNECT sent nothing to the panel, and says so.

Through ``$HTTPS_PROXY`` the call waits for the proxy's answer to CONNECT
before a byte of the request goes: a proxy that took the connection and
never answered read as the panel's silence, "no answer from
panel.example:443 within 1s", and ``add`` said "outcome unknown — check the
panel" for an order the tunnel never carried. A real loopback proxy here
reads the CONNECT and says nothing until the test ends.
"""

from __future__ import annotations

import loopback_proxy
import pytest

from tracker.config.model import PanelConfig, Secret
from tracker.errors import TransientError
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

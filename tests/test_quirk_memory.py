"""A daemon's memory flat over a long life: the quirks told once per order
(``charge_negative_dropped``, ``remains_not_a_delivery_figure``, ...) are
kept among the last MAX_ORDER_KEYS orders per panel, not one key per order
for ever; past that bound no order's quirk is warned of twice (a new one at
debug, after one ``order_quirks_many`` warning). Before, the client kept
every order's key for the life of the process. Through the client's real
status calls against a panel sending a negative charge for every order."""

from __future__ import annotations

import json

import httpx
import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.model import PanelConfig, Secret
from tracker.panel.client import PanelClient
from tracker.panel.warned import MAX_ORDER_KEYS

BATCH = 100
# Three times the bound, in whole calls: past it as far as a long life goes
# (the bound checked after every call; 100,000 orders took 10 s).
ORDERS = -(-3 * MAX_ORDER_KEYS // BATCH) * BATCH


def _negative_charges(request: httpx.Request) -> httpx.Response:
    form = dict(httpx.QueryParams(request.content.decode()))
    asked = form.get("orders", form.get("order", "")).split(",")
    items = {i: {"status": "In progress", "remains": "10", "charge": "-1.5"} for i in asked}
    return httpx.Response(200, content=json.dumps(items).encode())


@pytest.mark.usefixtures("fresh_logs")
def test_a_quirk_on_every_order_keeps_the_clients_memory_at_its_bound() -> None:
    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret("k" * 20))
    client = PanelClient(config, transport=httpx.MockTransport(_negative_charges))
    with capture_logs() as logs:
        for start in range(1, ORDERS + 1, BATCH):
            client.statuses(list(range(start, start + BATCH)))
            assert len(client._warned) <= MAX_ORDER_KEYS + 1  # + order_quirks_many
        client.statuses([ORDERS])  # the last order seen again: told already
        client.statuses([1])  # the first, long forgotten: at debug, never warned twice
    assert len(client._warned) == MAX_ORDER_KEYS + 1
    said = [e for e in logs if e["event"] == "charge_negative_dropped"]
    warned = [e["order"] for e in said if e["log_level"] == "warning"]
    assert warned == list(range(1, MAX_ORDER_KEYS + 2))  # each once: until one is forgotten
    assert len(said) == ORDERS + 1  # every other order's at debug, the first's again
    [many] = [e for e in logs if e["event"] == "order_quirks_many"]
    assert many["log_level"] == "warning" and many["kept"] == MAX_ORDER_KEYS

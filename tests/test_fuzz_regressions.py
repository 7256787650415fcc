"""Defects the answer fuzzer (tests/test_fuzz_answers.py) found, each pinned
by the smallest answer that showed it, through the client's real entry points."""

from __future__ import annotations

import json

import httpx

from tracker.config.model import PanelConfig, Secret
from tracker.panel.client import PanelClient

KEY = "Qa/Key+9zX2=mN7pL4wR"


def client_answering(body: bytes) -> PanelClient:
    config = PanelConfig(name="t", url="https://panel.test/api/v2", key=Secret(KEY), retries=0)
    answer = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    return PanelClient(config, transport=answer, sleep=lambda s: None)


def test_a_multi_refill_answer_naming_an_order_not_asked_reports_only_the_asked():
    # Order 3 was never asked about: its item was returned as a report, and
    # counted as an answer for the asked order the panel left out (order 2),
    # so two key refusals (1 and 3) read as "every asked order refuses the
    # key": AuthError, and order 2's request forgotten as never sent.
    refused = {"error": "Invalid API key"}
    body = json.dumps([{"order": 1, "refill": refused}, {"order": 3, "refill": refused}])
    client = client_answering(body.encode())
    answers = client.refills([1, 2])
    assert [(a.order_id, a.error) for a in answers] == [(1, "Invalid API key")]
    listed = client_answering(b'[{"order": 1, "refill": 5}, {"order": 3, "refill": 6}]')
    assert [(a.order_id, a.refill_id) for a in listed.refills([1, 2])] == [(1, "5")]

"""A list answer with a code other than 200 keeps its code as data, as an
object does (tracker/panel/coded.py).

A multi ``refill``, ``refill_status`` or ``cancel`` answer may be a list of
items. ``failures.with_status`` kept a non-200 code on an object alone: the
key refused in every item of a 201 list read ``Invalid API key`` where an
object's read ``HTTP 201: Invalid API key`` (its error, its log line), and
the same unknown words in every item of a 4xx list were a broken answer at
every round where an object's were judged by the witness.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile import json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import follow_refills_once, request_refills_once, scripted_panel
from structlog.testing import capture_logs
from test_client import FakePanel, make_client

from tracker.errors import AuthError

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "list-codes-Hj5Kl3Pz9Wr1"


def answer(code: int, body: Any) -> httpx.Response:
    return httpx.Response(code, content=json.dumps(body).encode())


KEY_REFUSED = {"error": "Invalid API key"}


@pytest.mark.parametrize(
    ("act", "body"),
    [
        (
            lambda c: c.refill_statuses(["71", "72"]),
            [{"refill": r, "status": KEY_REFUSED} for r in (71, 72)],
        ),
        (lambda c: c.refills([5, 6]), [{"order": o, "refill": KEY_REFUSED} for o in (5, 6)]),
        (lambda c: c.cancel([5, 6]), [{"order": o, "cancel": KEY_REFUSED} for o in (5, 6)]),
    ],
    ids=["refill_status", "refill", "cancel"],
)
def test_a_201_list_refusing_the_key_in_every_item_names_its_code(act, body):
    with pytest.raises(AuthError) as caught:
        act(make_client(FakePanel(answer(201, body)), [], retries=0))
    assert str(caught.value).endswith(": HTTP 201: Invalid API key")  # as an object's says
    assert caught.value.status == 201


def test_a_403_refill_status_list_of_the_same_words_is_judged_as_an_objects():
    # The same unknown words in every item of a 403 list while balance answers:
    # each refill's own, as in an object (it was a broken answer, every round).
    words = "Your IP is not on the allow-list"
    body = [{"refill": r, "status": {"error": words}} for r in (71, 72)]
    balance = answer(200, {"balance": "5", "currency": "USD"})
    fake = FakePanel(answer(403, body), balance)
    got = make_client(fake, [], retries=0).refill_statuses(["71", "72"])
    assert {r.error for r in got} == {words}
    assert [f["action"] for f in fake.requests] == ["refill_status", "balance"]


@pytest.mark.parametrize("shape", ["list", "object"])
def test_a_403_status_list_of_the_same_words_refused_by_balance_too_is_the_keys(shape):
    words = "Your IP is not on the allow-list"
    items = [{"order": o, "error": words} for o in (7101, 7102)]
    body = items if shape == "list" else {str(i["order"]): {"error": words} for i in items}
    fake = FakePanel(answer(403, body), answer(403, {"error": words}))
    with pytest.raises(AuthError) as caught:  # a list was a broken answer: HTTP 403: [...]
        make_client(fake, [], retries=0).statuses([7101, 7102])
    assert str(caught.value).endswith(f"status: HTTP 403: {words}") and caught.value.status == 403


def test_the_refill_follow_logs_a_201_lists_key_refusal_with_its_code(panel, tmp_path):
    server, replies, cli = panel
    assert cli("track", "5", "6").exit_code == 0
    replies["refill"] = json_reply([{"order": 5, "refill": 71}, {"order": 6, "refill": 72}])
    request_refills_once(tmp_path / "t.db", server.url, KEY, [5, 6])
    body = [{"refill": r, "status": KEY_REFUSED} for r in (71, 72)]
    replies["refill_status"] = json_reply(body, 201)
    with capture_logs() as logs:
        follow_refills_once(tmp_path / "t.db", server.url, KEY)
    failed = [e for e in logs if e["event"] == "refill_status_failed"]
    assert len(failed) == 1 and failed[0]["error"].endswith("HTTP 201: Invalid API key")


@pytest.fixture
def panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with scripted_panel(tmp_path, monkeypatch, KEY) as found:
        yield found

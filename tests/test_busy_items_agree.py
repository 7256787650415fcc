"""A multi-order status answer whose every item says busy is the panel busy,
as the same words once at the top of the answer are, whatever its code.

1. With a 4xx (``{"1": {"error": "Too many requests"}, ...}`` and a 403 or a
   400) it was a broken answer (``HTTP 403: {...}``): the poll failed at once,
   never waiting the panel's time. It is the panel busy now, retried within
   the call as the top-level ``{"error": "Too many requests"}`` with a 403 is.
2. Rate-limit words in every item raised a plain TransientError after the
   call, never a RateLimitedError retried within it: a ``Retry-After`` beside
   them went unread. They are a rate limit now, its wait honoured within the
   call's retry budget (at most ``budget.LONGEST_WAIT`` at a time), as at the
   top. The key refused in every item of a non-200 answer names the code
   (``HTTP 202: Invalid API key``) and keeps it as data, as other refusals do.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from scripted_panel import rows
from test_client import FakePanel, make_client
from test_refusal_words_plain import KEY, panel  # noqa: F401  (fixture)

from tracker.errors import AuthError, RateLimitedError, TransientError

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

IDS = [7101, 7102]


def items(words: str, code: int, **headers: str) -> httpx.Response:
    body = {str(i): {"error": words} for i in IDS}
    return httpx.Response(code, content=json.dumps(body).encode(), headers=headers)


def answered(code: int = 200) -> httpx.Response:
    body = {str(i): {"status": "In progress", "remains": "5"} for i in IDS}
    return httpx.Response(code, content=json.dumps(body).encode())


# --- 1. every item busy with a 4xx: the panel busy, as at the top ---


@pytest.mark.parametrize("code", [400, 403])
def test_every_item_rate_limited_with_a_4xx_is_the_panel_rate_limited(code):
    fake = FakePanel(items("Too many requests", code))
    with pytest.raises(RateLimitedError) as caught:
        make_client(fake, [], retries=0).statuses(IDS)
    assert str(caught.value).endswith(f"status: panel busy: HTTP {code}: Too many requests")
    assert caught.value.status == code


def test_every_item_busy_with_a_4xx_is_the_panel_busy_as_at_the_top():
    words = "Service temporarily unavailable"
    top = FakePanel(httpx.Response(403, content=json.dumps({"error": words}).encode()))
    with pytest.raises(TransientError) as at_top:
        make_client(top, [], retries=0).statuses(IDS)
    with pytest.raises(TransientError) as in_items:
        make_client(FakePanel(items(words, 403)), [], retries=0).statuses(IDS)
    assert str(in_items.value) == str(at_top.value)
    assert str(in_items.value).endswith(f"status: panel busy: HTTP 403: {words}")
    assert not isinstance(in_items.value, RateLimitedError)  # busy, no rate limit


def test_every_item_busy_with_a_4xx_is_retried_and_then_answered():
    sleeps: list[float] = []
    fake = FakePanel(items("Too many requests", 403, **{"Retry-After": "7"}), answered())
    got = make_client(fake, sleeps, retries=2).statuses(IDS)
    assert sorted(got) == IDS and all(s.error is None for s in got.values())
    assert sleeps == [7.0]  # the panel's Retry-After waited, then asked again


# --- 2. rate-limit words in every item: a rate limit, its wait honoured ---


@pytest.mark.parametrize("code", [200, 202])
def test_every_item_rate_limited_honours_retry_after(code):
    sleeps: list[float] = []
    words = "You have exceeded the request limit. Please retry in 60 seconds"
    fake = FakePanel(items(words, code, **{"Retry-After": "7"}), answered())
    got = make_client(fake, sleeps, retries=2).statuses(IDS)
    assert sorted(got) == IDS and all(s.error is None for s in got.values())
    assert sleeps == [7.0]


@pytest.mark.parametrize("code", [200, 202])
def test_every_item_rate_limited_is_a_rate_limit(code):
    with pytest.raises(RateLimitedError) as caught:
        make_client(FakePanel(items("Too many requests", code)), [], retries=0).statuses(IDS)
    said = "Too many requests" if code == 200 else f"HTTP {code}: Too many requests"
    assert str(caught.value).endswith(f"status: panel busy: {said}")


def test_every_asked_item_rate_limited_beside_other_keys_is_a_rate_limit():
    # Words beside the items (read by the parser, past the transport): the same verdict.
    body = {**{str(i): {"error": "Too many requests"} for i in IDS}, "note": "see docs"}
    answer = httpx.Response(202, content=json.dumps(body).encode())
    with pytest.raises(RateLimitedError) as caught:
        make_client(FakePanel(answer), [], retries=0).statuses(IDS)
    assert str(caught.value).endswith("status: panel busy: HTTP 202: Too many requests")
    assert caught.value.status == 202


def test_an_items_wait_past_the_retry_budget_is_not_waited():
    sleeps: list[float] = []
    fake = FakePanel(items("Too many requests", 403, **{"Retry-After": "100000"}), answered())
    with pytest.raises(RateLimitedError) as caught:
        make_client(fake, sleeps, retries=4, retry_budget=60.0).statuses(IDS)
    assert sleeps == [] and len(fake.requests) == 1  # bounded as a top-level wait is
    assert "the panel asks us to wait more than a day, past this call's retry budget" in str(
        caught.value
    )


def test_the_key_refused_in_every_item_of_a_non_200_names_the_code():
    with pytest.raises(AuthError) as caught:
        make_client(FakePanel(items("Invalid API key", 202)), [], retries=0).statuses(IDS)
    assert str(caught.value).endswith("status: HTTP 202: Invalid API key")
    assert caught.value.status == 202


def test_the_key_refused_in_every_item_of_a_200_says_no_code():
    with pytest.raises(AuthError) as caught:
        make_client(FakePanel(items("Invalid API key", 200)), [], retries=0).statuses(IDS)
    assert str(caught.value).endswith("status: Invalid API key")


@pytest.mark.parametrize("action", ["cancel", "refills"])
def test_the_key_refused_in_every_item_of_a_202_to_cancel_or_refill_names_the_code(action):
    answer = items("Invalid API key", 202)
    with pytest.raises(AuthError) as caught:
        getattr(make_client(FakePanel(answer), [], retries=0), action)(IDS)
    assert str(caught.value).endswith("HTTP 202: Invalid API key")
    assert caught.value.status == 202


def test_every_refill_status_item_busy_with_a_4xx_is_the_panel_rate_limited():
    body = [{"refill": r, "status": {"error": "Too many requests"}} for r in ("1", "2")]
    limited = httpx.Response(403, content=json.dumps(body).encode(), headers={"Retry-After": "7"})
    sleeps: list[float] = []
    with pytest.raises(RateLimitedError) as caught:
        make_client(FakePanel(limited), sleeps, retries=1).refill_statuses(["1", "2"])
    assert str(caught.value).endswith("refill_status: panel busy: HTTP 403: Too many requests")
    assert sleeps == [7.0]  # asked again after the panel's wait, busy again


# --- what a user sees: the poll fails as the panel's, no order blamed ---


def test_run_once_tells_the_panel_busy_and_blames_no_order(panel, tmp_path):  # noqa: F811
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "status":
            ids = form.get("orders", form.get("order", "")).split(",")
            body = {i: {"error": "Too many requests"} for i in ids}
            return Reply(json.dumps(body).encode(), 403)
        if form.get("action") == "services":
            return json_reply([])
        return json_reply({"balance": "5.00", "currency": "USD"})

    cli, _server = panel(respond)
    result: Any = cli("run", "--once", "--all")
    assert result.exit_code == 1, result.output
    assert "panel busy: HTTP 403: Too many requests" in result.output, result.output
    assert KEY not in result.output
    # Before: "HTTP 403: {...}", a broken answer. No order's error, none given up.
    assert rows(tmp_path, "SELECT error, error_count, polling FROM orders") == [(None, 0, 1)] * 2

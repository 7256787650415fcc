"""Which words of a panel say it is busy (a rate limit, an outage: retried
like HTTP 429, never an order's error nor a refused key), and which refuse an
order, a refill or the key and must stay so.

A rate limit in words the tracker did not know ("You have exceeded the
request limit. Please retry in 60 seconds") was split down to lone IDs and
stored as each order's error (given up with ``order_lost``), or, said to
``balance`` too, taken for a refused key (``auth_failed``, jobs paused).
"""

from __future__ import annotations

import pytest

from tracker.errors import AuthError, PanelAnswerError
from tracker.panel import refusals

BUSY = [
    # known before
    "Too many requests",
    "Rate limit exceeded",
    "Database busy, try again later",
    "Server is overloaded",
    "Service Temporarily Unavailable",
    "Site under maintenance",
    "Slow down!",
    # rate limits
    "You have exceeded the request limit. Please retry in 60 seconds",
    "Request limit exceeded",
    "Requests limit reached, try again in 1 minute",
    "API limit reached",
    "You have reached the API calls limit",
    "Limit exceeded",
    "Limit reached.",
    "Too many attempts. Please try again in 60 seconds.",
    "Too Many Attempts.",
    "Too many API calls",
    "Request was throttled. Expected available in 56 seconds.",
    "Quota exceeded",
    "You have exceeded your daily API quota",
    # temporarily unavailable
    "Service Unavailable",
    "503 Service Unavailable",
    "The server is temporarily unable to service your request. Please try again later.",
    "API temporarily offline",
    # come back later, about nothing asked
    "Please try again later",
    "Something went wrong, please try again later.",
    "Try again in 5 minutes",
    "Please retry after 30 seconds",
    "Please wait 30 seconds before the next request",
    "Wait a moment and try again",
    # a rate limit that names the key: the key works, it is asking too often
    "API key rate limit exceeded",
    "Rate limit exceeded for this API key",
    "Too many requests for this api_key",
    "API key request limit reached, retry in 60 seconds",
    "API key rate limit exceeded: no more than 60 requests per minute",
    "API key rate limit exceeded (unknown client)",
    # the key shut for a while only, beside rate-limit words
    "API key rate limit reached: no further requests allowed for 60 seconds",
    "Rate limit exceeded for this API key: requests blocked for 60 seconds",
    "API key temporarily disabled: too many requests, try again in 1 minute",
    "API key temporarily locked due to too many requests",
]

NOT_BUSY = [
    # /work/shared/api-v2.md, "Errors seen verbatim" (but "Too many requests")
    "Incorrect request",
    "Incorrect order ID",
    "Invalid API key",
    "API key is incorrect",
    "Your account is inactive",
    "Not enough funds on balance",
    "You have insufficient balance",
    "Bad Link",
    "Incorrect service ID",
    "Order ID is required parameter. Please check your API Manual",
    "Refill is disabled for this service",
    "Service does not support refill",
    "Order not eligible for refill.",
    "You are not eligible to send refill request.",
    "The refill task is not completed for this order",
    "Refill not found",
    "Incorrect refill ID",
    "neworder.error.not_enough_funds",
    "neworder.error.link_duplicate",
    "error.incorrect_service_id",
    "neworder.error.min_quantity",
    # an order's, a refill's or the key's refusal with limit or later words
    "Order not found",
    "Error",
    "Invalid link",
    "This order cannot be canceled",
    "This service is currently unavailable",
    "Quantity limit exceeded",
    "Order limit reached for this link",
    "Refill request limit reached for this order",
    "Cancel request limit reached",
    "Refill already requested, try again in 24 hours",
    "You can request a refill once every 24 hours, try again later",
    "Not enough funds, please try again later",
    "Your account is inactive, try again later",
    "Invalid API key. Please retry in 60 seconds",
    "Invalid API key: too many requests",
    "API key is disabled: rate limit exceeded",
    # a limit or a "later" about the link, the service or its ID: the request's
    "Incorrect service ID, try again later",
    "Service disabled, try again later",
    "API limit: max 100 orders per link",
    "Rate limit for this link reached",
    "Too many requests for this link",
    # the panel's own server failing: a fault, not busy
    "SQLSTATE[HY000] [1040] Too many connections",
]


@pytest.mark.parametrize("words", BUSY)
def test_busy_words(words):
    assert refusals.is_busy(words)


@pytest.mark.parametrize("words", NOT_BUSY)
def test_refusals_of_an_order_a_refill_or_the_key_are_not_busy(words):
    assert not refusals.is_busy(words)


KEY_REFUSED = [
    "Invalid API key",
    "API key is incorrect",
    "Your account is inactive",
    "Invalid API key. Please retry in 60 seconds",
    "API key is disabled: rate limit exceeded",
    "api_key required",
    "Unauthorized",
    # "no" refusing the key, beside busy words
    "No such API key. Too many requests with unknown keys",
    "API key: no access (rate limit exceeded)",
    # a key the panel no longer knows or has shut, beside busy words
    "Unknown API key. Too many requests from your IP",
    "Bad API key - rate limit applies",
    "API key deleted; too many requests",
    "API key deactivated: rate limit abuse",
    "Your API key has been locked after too many requests",
    # shut for a while, but the words say the key itself is no good
    "Invalid API key: too many failed attempts, blocked for 60 seconds",
    "API key revoked after too many requests; try again in 1 hour with a new key",
]


@pytest.mark.parametrize("words", KEY_REFUSED)
def test_key_refusals_stay_refusals(words):
    assert refusals.is_key_refusal(words)
    with pytest.raises(AuthError):
        refusals.raise_for_error({"error": words})


@pytest.mark.parametrize("words", [w for w in BUSY if "key" in w.lower()])
def test_a_rate_limit_naming_the_key_is_not_a_refused_key(words):
    """ "API key rate limit exceeded" said to every action read as a refused
    key: auth_failed raised and the panel's jobs paused for a rate limit."""
    assert not refusals.is_key_refusal(words)
    with pytest.raises(PanelAnswerError) as raised:
        refusals.raise_for_error({"error": words})
    assert not isinstance(raised.value, AuthError)

"""How long a panel asks to be left alone before the next try.

Pure: an answer's headers and the wall clock's time in, seconds out, or None
when the panel said nothing readable (the retry budget's backoff applies).
Every byte is the panel's and untrusted: a value read is only ever a wish,
capped and bounded by the call's retry budget (``panel/budget.py``).
"""

from __future__ import annotations

import time
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx


def _seconds_until(value: str, now: float) -> float | None:
    """Return the seconds from ``now`` (Unix time) to an HTTP-date (GMT,
    whatever the machine's zone), or None when ``value`` is not one."""
    try:  # a year of 20 digits overflows: caught like any garbled date
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:  # no zone, or "-0000": an HTTP-date is GMT, never local
            when = when.replace(tzinfo=UTC)
        return when.timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Return the seconds a Retry-After header asks to wait, or None when it
    says none readable: RFC 9110's delay-seconds (ASCII digits only, as an
    order ID: float() also reads "1_0", "1e3", "nan", "inf" and "٣") or an
    HTTP-date (one past is no wait). ``now`` is the wall clock's Unix time."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)  # past any float: inf, and the wait is capped
    left = _seconds_until(value, time.time() if now is None else now)
    return None if left is None else max(0.0, left)

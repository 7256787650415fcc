"""How long a panel asks to be left alone before the next try.

Pure: an answer's headers and the wall clock's time in, seconds out, or None
when the panel said nothing readable (the retry budget's backoff applies).
Every byte is the panel's and untrusted: a value read is only ever a wish,
capped and bounded by the call's retry budget (``panel/budget.py``) as a
``Retry-After`` is.

``Retry-After`` (RFC 9110) is read on every retried answer. A rate limit (a
429, or busy words retried like one) without a readable ``Retry-After`` may
say when its window resets in ``X-RateLimit-Reset``, which no standard
defines; panels send seconds to wait, a Unix time or, rarely, an HTTP-date;
else in the IETF draft's ``RateLimit-Reset`` or ``RateLimit``'s ``t``.
What holds the whole panel (``panel/pacing.py``): an answer saying its limit
is spent, or a 429 with a wait read so (:func:`held_wait`).
"""

from __future__ import annotations

import re
import time
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

# X-RateLimit-Reset, read by its size: a number up to 10^9 is the seconds to
# wait (10^9 s is 31 years: no wait); above it, a Unix time (10^9 was
# September 2001), which the wall clock is subtracted from.
UNIX_TIME_ABOVE = 1e9
# The longest wait an X-RateLimit-Reset is believed for: a daily quota's
# reset. Further off (a Unix time in milliseconds, one a year ahead, a
# panel's clock years wrong) or in the past, the value is ignored.
LONGEST_RESET = 86_400.0
# ASCII digits, maybe a fraction (1700000000.25): not float()'s "1e3",
# "nan", "inf", "1_0", "-5" or Arabic-Indic digits.
_NUMBER = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")


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


def reset_wait(response: httpx.Response, now: float) -> float | None:
    """Return the seconds an X-RateLimit-Reset header asks to wait, or None.

    Read by size: up to 10^9, seconds to wait; above, a Unix time, less
    ``now`` (the wall clock's); else an HTTP-date. A wait in the past or
    longer than :data:`LONGEST_RESET`, and any other value, is ignored."""
    value = response.headers.get("X-RateLimit-Reset")
    if not value:
        return None
    if _NUMBER.fullmatch(value):
        number = float(value)
        left: float | None = number - now if number > UNIX_TIME_ABOVE else number
    else:
        left = _seconds_until(value, now)
    return left if left is not None and 0.0 <= left <= LONGEST_RESET else None


def limited_wait(response: httpx.Response, now: float) -> tuple[float, str] | None:
    """Return (seconds, the header read) a rate limit's answer (a 429, busy
    words) asks to wait before the next try, or None: ``Retry-After`` if
    readable, else ``X-RateLimit-Reset`` unless ``X-RateLimit-Remaining``
    says some of the limit is left (see :func:`wait_hint`), else the IETF
    draft's reset alike (:func:`_ietf_limited`)."""
    asked = retry_after(response, now)
    if asked is not None:
        return asked, "Retry-After"
    if _some_left(response.headers.get("X-RateLimit-Remaining")):
        return None  # the IETF fields beside it are the same window's
    reset = reset_wait(response, now)
    return _ietf_limited(response) if reset is None else (reset, "X-RateLimit-Reset")


def wait_hint(response: httpx.Response, *, now: float, limited: bool) -> float | None:
    """Return the seconds the panel asks to wait before the next try, or None.

    ``Retry-After`` wins; a rate limit (``limited``: a 429, busy words) without
    a readable one is read its ``X-RateLimit-Reset``, unless its
    ``X-RateLimit-Remaining`` says some of the limit is left: gateways send
    their window's fields on every answer, and a "Database busy" or a burst
    limit's 429 beside 950 left is not that window's doing (its reset, an
    hour off, cost the call its whole retry budget). ``now`` is the wall
    clock's Unix time."""
    if not limited:
        return retry_after(response, now)
    said = limited_wait(response, now)
    return None if said is None else said[0]


# The IETF draft's fields (draft-ietf-httpapi-ratelimit-headers): its early
# RateLimit-Remaining with RateLimit-Reset (delta-seconds only), and the
# combined RateLimit: "default";r=0;t=30 of its later versions.
_COUNT = re.compile(r"[0-9]{1,12}")
_PARAM = re.compile(r";\s*([rt])=([^;,]*)")


def _none_left(value: str | None) -> bool:
    """Return True when a remaining count says none is left: ASCII digits of 0."""
    return value is not None and _COUNT.fullmatch(value) is not None and int(value) == 0


def _some_left(value: str | None) -> bool:
    """Return True when a remaining count (``X-RateLimit-Remaining``, the
    IETF draft's) is ASCII digits above 0."""
    value = (value or "").strip()
    return _COUNT.fullmatch(value) is not None and int(value) > 0


def _delta(value: str | None) -> float | None:
    """Return delta-seconds (ASCII digits, at most a day ahead), or None."""
    if value is None or not _COUNT.fullmatch(value) or float(value) > LONGEST_RESET:
        return None
    return float(value)


def _resets(response: httpx.Response, now: float) -> list[tuple[float | None, str]]:
    """Return (seconds or None when unread, header) for each field saying the
    panel's rate limit is spent: a remaining of 0 and the reset beside it."""
    headers, spent = response.headers, []
    if _none_left(headers.get("X-RateLimit-Remaining", "").strip()):
        spent.append((reset_wait(response, now), "X-RateLimit-Reset"))
    if _none_left(headers.get("RateLimit-Remaining", "").strip()):
        spent.append((_delta(headers.get("RateLimit-Reset", "").strip()), "RateLimit-Reset"))
    for member in headers.get("RateLimit", "").split(","):
        params = {name: value.strip() for name, value in _PARAM.findall(member)}
        if _none_left(params.get("r")):
            spent.append((_delta(params.get("t")), "RateLimit"))
    return spent


def _ietf_limited(response: httpx.Response) -> tuple[float, str] | None:
    """Return (seconds, the header read) the IETF draft's fields give a rate
    limit's answer (a 429 says the limit is reached, no remaining of 0
    needed) to wait, or None: ``RateLimit-Reset`` unless ``RateLimit-Remaining``
    is above 0, and the ``t`` of each ``RateLimit`` member whose ``r`` is not
    above 0; of two read, the longer."""
    headers, read = response.headers, []
    if not _some_left(headers.get("RateLimit-Remaining")):
        read.append((_delta(headers.get("RateLimit-Reset", "").strip()), "RateLimit-Reset"))
    for member in headers.get("RateLimit", "").split(","):
        params = {name: value.strip() for name, value in _PARAM.findall(member)}
        if not _some_left(params.get("r")):
            read.append((_delta(params.get("t")), "RateLimit"))
    found = [(seconds, header) for seconds, header in read if seconds is not None]
    return max(found) if found else None


def spent_wait(response: httpx.Response, now: float) -> tuple[float, str] | None:
    """Return (seconds, the header read) when an answer of any status says the
    panel's rate limit is spent and when it resets, else None.

    Spent: ``X-RateLimit-Remaining: 0`` (its reset: ``X-RateLimit-Reset``,
    read as :func:`reset_wait` reads it), ``RateLimit-Remaining: 0`` (its
    reset: ``RateLimit-Reset``, delta-seconds), or a ``RateLimit`` member
    with ``r=0`` (its reset: the member's ``t``). A readable ``Retry-After``
    wins, as in :func:`wait_hint`; of two resets read, the longer. A
    remaining above 0 or garbled, or no reset read (garbled, past, more than
    a day off): None. ``now`` is the wall clock's Unix time."""
    spent = _resets(response, now)
    if not spent:
        return None
    asked = retry_after(response, now)
    if asked is not None:
        return asked, "Retry-After"
    read = [(seconds, header) for seconds, header in spent if seconds is not None]
    return max(read) if read else None


def held_wait(response: httpx.Response, now: float) -> tuple[float, str] | None:
    """Return (seconds, the header read) an answer asks the whole panel to be
    left alone, or None: one saying its rate limit is spent (any status,
    :func:`spent_wait`), else an HTTP 429 whose wait is readable as its retry
    reads it (:func:`limited_wait`). Busy words in a 200 hold nothing of
    themselves ("Database busy" is no rate limit): the call's retry waits."""
    said = spent_wait(response, now)
    if said is None and response.status_code == 429:
        said = limited_wait(response, now)
    return said

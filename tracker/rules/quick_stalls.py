"""The stall judgement of an order that is not stalled, in whole microseconds.

The stall watch judges every open order a poll changed (all 20,000 of them
after a sweep) and most of its time went into datetimes and the tuples
around them: 69k instructions per order. This is what :func:`~tracker.rules.
stalls.judge` and :func:`~tracker.rules.stalls.recheck_at` decide for an
order with no open stall episode whose judgement raises nothing, worked out
on moments as integer microseconds since the epoch; anything else (a stalled
order, a verdict that is an event) is left to them: :data:`SLOW`.

Same decisions, to the microsecond: every span that :mod:`tracker.rules.
stalls` turns into a ``timedelta`` from float seconds goes through one here
too (:func:`span`, which rounds as ``timedelta`` does), and every span it
reads back with ``total_seconds()`` is the same integer division.
``tests/test_quick_stalls.py`` checks both agree on any order.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from math import modf

from tracker.config.model import AutomationConfig
from tracker.rules.stalls import DELIVERING, MAX_ETA, MEDIAN, MIN_EXPECTED, RATE

US = 1_000_000  # microseconds in a second
_ONE_US = timedelta(microseconds=1)
_WITHIN = 8.0e13  # seconds: a span well inside timedelta's 999,999,999 days

SLOW = None  # judged by tracker.rules.stalls instead: stalled, or an event


def span(seconds: float) -> int:
    """Given float seconds, return the microseconds ``timedelta(seconds=...)``
    holds (its own rounding, half to even on the microsecond).

    Worked out as CPython's ``timedelta`` does it (``accum`` and ``delta_new``
    in ``_datetimemodule.c``): the whole seconds exactly, the fraction's
    whole microseconds, then what is left rounded, a half to the even sum;
    0.34 against 0.48 µs a call, twice an order. Anything but a finite float
    well inside ``timedelta``'s range is left to ``timedelta`` itself (ints,
    NaN, what overflows it). ``tests/test_quick_stalls.py`` checks both agree.
    """
    if type(seconds) is not float or not -_WITHIN < seconds < _WITHIN:
        return timedelta(seconds=seconds) // _ONE_US
    fraction, whole = modf(seconds)
    micros = int(whole) * US
    if not fraction:
        return micros
    fraction, whole = modf(fraction * 1e6)
    micros += int(whole)
    if not fraction:
        return micros
    rounded: float = round(fraction)  # C's round() but for a half, which comes next
    if abs(rounded - fraction) == 0.5:
        odd = micros & 1
        rounded = 2.0 * round((fraction + odd) * 0.5) - odd
    return micros + int(rounded)


# The same for the few values the thresholds and medians take.
_fixed_span = lru_cache(maxsize=256)(span)


# (eta, baseline_at, baseline_remains, basis), recheck_at
Quick = tuple[tuple[int | None, int | None, int | None, str | None], int | None]


def quick_judge(
    status: str | None,
    service: int | None,
    remains: int | None,
    created: int,
    last_change: int | None,
    baseline_at: int | None,
    baseline_remains: int | None,
    config: AutomationConfig,
    median: float | None,
    now: int,
) -> Quick | None:
    """Given an open order with no open stall episode (moments in microseconds),
    what was last judged of its delivery rate, the config, its service's
    median seconds to complete and ``now``, return its new (eta, baseline_at,
    baseline_remains, basis) and when time alone can stall it, as
    :func:`~tracker.rules.stalls.judge` and :func:`~tracker.rules.stalls.
    recheck_at` would; :data:`SLOW` when the verdict is an event (it stalls
    now): those leave it to them."""
    last = last_change if last_change is not None else created
    # estimate()
    eta: int | None = None
    basis: str | None = None
    base_at, base_remains = baseline_at, baseline_remains
    rated = False
    if status in DELIVERING and remains is not None:
        if base_at is None or base_remains is None or remains > base_remains:
            base_at, base_remains = last, remains  # a new (or reset) baseline
        delivered = base_remains - remains
        elapsed = (last - base_at) / US
        if remains <= 0 and delivered > 0:
            eta, basis, rated = last, RATE, True
        else:
            left = remains / (delivered / elapsed) if delivered > 0 and elapsed > 0 else None
            if left is not None and left < MAX_ETA:
                eta, basis, rated = last + span(left), RATE, True
    if not rated and median is not None:
        eta, basis = created + _fixed_span(median), MEDIAN
    state = (eta, base_at, base_remains, basis)
    if not config.stalls:
        return state, None
    # stall_reason() and recheck_at(), which share the threshold and the point
    # past which the order is far past its eta.
    threshold = config.stall_threshold(status, service)
    if threshold is not None and (now - last) / US > threshold:
        return SLOW
    found = last + _fixed_span(threshold) if threshold is not None else None
    if config.eta_overdue and eta is not None:
        expected = (eta - created) / US
        if expected >= MIN_EXPECTED:
            overdue_at = created + span(expected * config.eta_overdue)
            if now > overdue_at and last < overdue_at:
                return SLOW
            if last < overdue_at and (found is None or overdue_at < found):
                found = overdue_at
    return state, found

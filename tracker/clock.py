"""The one place "now" comes from, so tests can pass their own clock."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


_BOOT_CLOCK = getattr(time, "CLOCK_BOOTTIME", None)  # Linux only


def boottime() -> float | None:
    """Return the boot clock's seconds (CLOCK_BOOTTIME: monotonic, but counting
    a suspend, which CLOCK_MONOTONIC leaves out), or None where the system
    has none."""
    if _BOOT_CLOCK is None:
        return None
    try:
        return time.clock_gettime(_BOOT_CLOCK)
    except OSError:  # a kernel without it
        return None


def iso(dt: datetime) -> str:
    """Given an aware datetime, return it as a UTC ISO-8601 string (seconds precision)."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def iso_up(dt: datetime) -> str:
    """Given an aware datetime, return :func:`iso` of it rounded up to the whole
    second: a stamp never earlier than the moment (:func:`iso` drops the
    fraction). For a moment a wait counts from, such as a refill's cooldown."""
    whole = dt.replace(microsecond=0)
    return iso(whole if whole == dt else whole + timedelta(seconds=1))


# A poll stores thousands of rows stamped with the same few moments (its
# "now", the recheck times of orders that changed together): :func:`iso` for
# those, each formatted once rather than once per row. Bounded.
iso_shared = lru_cache(maxsize=1024)(iso)


def parse_iso(text: str) -> datetime:
    """Given a string written by :func:`iso`, return the aware datetime."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def read_iso(text: object) -> datetime | None:
    """Given a stored moment, return it as :func:`parse_iso` does; None when
    it cannot be read (NULL, or a database edited by hand)."""
    try:
        return parse_iso(text) if isinstance(text, str) else None
    except ValueError:
        return None


def not_before(stamp: str, other: str | None) -> str:
    """Given two stamps written by :func:`iso`, return ``stamp``, or ``other``
    when that is later; one that cannot be read (a database edited by hand)
    is passed over."""
    try:
        return other if other and parse_iso(other) > parse_iso(stamp) else stamp
    except ValueError:
        return stamp


# The same for reading them back: the stall watch parses every open order's
# stored moments, most of them shared (an answer's orders changed at one
# stamp, orders tracked together were first seen at one). Datetimes are
# immutable, so a cached one is safe to share. Bounded.
parse_shared = lru_cache(maxsize=4096)(parse_iso)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_ONE_S = 1_000_000


def micros(moment: datetime) -> int:
    """Given an aware datetime, return it as whole microseconds since the epoch."""
    return (moment - EPOCH) // _ONE_US


@lru_cache(maxsize=4096)
def micros_shared(text: str) -> int:
    """Given a string written by :func:`iso`, return :func:`micros` of it
    (cached as :func:`parse_shared` is)."""
    return micros(parse_shared(text))


@lru_cache(maxsize=4096)
def _iso_second(second: int) -> str:
    return iso(EPOCH + timedelta(seconds=second))


def iso_micros(moment: int) -> str:
    """Given whole microseconds since the epoch, return what :func:`iso` writes
    for that moment (the second it falls in)."""
    return _iso_second(moment // _ONE_S)

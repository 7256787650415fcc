"""Typed readers for one TOML table that collect problems instead of raising.

Each reader returns a usable value even when the input is wrong (the default),
so validation carries on and :mod:`tracker.config.model` can report every mistake at
once. Problems read ``at 'panels[0].url': must be an http(s) URL``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tracker.config.durations import format_duration, parse_duration

T = TypeVar("T")

_TOML_TYPES = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    dict: "a table",
}


def toml_type(value: object) -> str:
    """Given a parsed TOML value, return its type as the user wrote it ("a string")."""
    return _TOML_TYPES.get(type(value), "a date/time")


def problem(path: str, message: str) -> str:
    """Given a dotted path and a message, return one problem line."""
    return f"at '{path}': {message}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_http_url(text: str) -> bool:
    """Given a string, return True when it is an http:// or https:// URL with a host."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def blank_in_host(url: str) -> bool:
    """Given an http(s) URL, return True when its host holds a blank (a
    non-breaking or ideographic space too): no host does, and every call fails."""
    return any(c.isspace() for c in urlsplit(url).hostname or "")


def host_problem(url: str) -> str | None:
    """Given an http(s) URL, return why no lookup can take its host (a format
    character, a label empty or past 63 characters, a broken ``xn--`` label),
    in words that never show the URL, else None: httpx and the resolver
    raise on it at every call."""
    from tracker.terminal import escape_controls

    host = urlsplit(url).hostname or ""
    try:
        host.encode("idna")  # the resolver's form (the lookup thread's)
    except UnicodeError as exc:
        return escape_controls(str(exc.__cause__ or exc))
    if host.isascii() and "xn--" not in host:
        return None  # httpx reads it as it is: the common case loads no httpx
    import httpx  # its IDNA 2008 rule, stricter: U+2603, a broken A-label

    try:
        httpx.URL(url).host  # noqa: B018 - its A-labels decoded, as a call does
    except UnicodeError as exc:  # idna.IDNAError, let through by httpx
        return escape_controls(str(exc))
    except httpx.InvalidURL:  # its words name the host
        return "not an IDNA host name"
    return None


# Other tools' (and panels' API pages') names for a key of the config, none
# close enough for difflib: the config's own name is meant.
_NAMED_ELSEWHERE = {
    **dict.fromkeys(("token", "api_token", "apitoken", "secret", "password"), "key"),
    **dict.fromkeys(("key_path", "keyfile", "token_file", "secret_file"), "key_file"),
    **dict.fromkeys(("endpoint", "api_endpoint", "base_url", "host", "api"), "url"),
    **dict.fromkeys(("interval", "poll_interval", "poll_every"), "status_every"),
}


def _quoted(value: Any, kinds: tuple[type, ...]) -> str:
    """Given a value of the wrong type and the types taken, return what to
    write when it is a number or a boolean in quotes ("100", "false"), else
    "" (the value itself is never said: it may be a pasted key)."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    number = int in kinds or float in kinds
    if number and bool not in kinds and re.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]+)?", text):
        return ": write the number without quotes"
    if bool in kinds and text.lower() in ("true", "false"):
        return ": write true or false without quotes"
    return ""


class Table:
    """One TOML table being read: tracks its path, the keys used, and problems."""

    def __init__(self, data: object, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        self.used: set[str] = set()
        self.failed: set[str] = set()  # keys with a problem recorded
        self._cross: list[tuple[str, str, tuple[str, ...]]] = []  # (key, message, given)
        self._missing: list[tuple[str, str, tuple[str, ...]]] = []  # (where, message, keys)
        if isinstance(data, dict):
            self.data: dict[str, Any] = data
        else:
            self.data = {}
            self.problems.append(problem(path, f"must be a table, not {toml_type(data)}"))

    def at(self, key: str) -> str:
        """Given a key of this table, return its full path."""
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> None:
        """Record a problem about ``key`` of this table."""
        self.failed.add(key)
        self.problems.append(problem(self.at(key), message))

    def ok(self, *keys: str) -> bool:
        """Return True when none of ``keys`` has a problem recorded so far."""
        return not self.failed.intersection(keys)

    def cross(self, key: str, message: str, *given: str) -> None:
        """Record the problem a check comparing settings found about ``key``,
        made with the values of ``key`` and ``given``.

        One mistake is one problem: the check must not report again, through
        the default that stood in for it, a value that is wrong or a key that
        is misspelt. Both are known only once the whole table is read, so the
        problem is kept at :meth:`finish` only if none of those keys has a
        problem and none is a default while the table has an unknown key (which
        may be that key misspelt: the check waits for the typo to be fixed).
        """
        self._cross.append((key, message, (key, *given)))

    def missing(self, where: str, message: str, *keys: str) -> None:
        """Record that none of ``keys`` (required) was written; ``where`` names
        the place. Kept at :meth:`finish` unless an unknown key of this table
        may be one of them misspelt (its "did you mean" names one): one
        mistake, one problem."""
        self._missing.append((where, message, keys))

    def has(self, key: str) -> bool:
        """Return True when the user wrote ``key`` in this table."""
        return key in self.data

    def raw(self, key: str) -> Any:
        """Given a key, mark it used and return its raw value, or None if absent."""
        self.used.add(key)
        return self.data.get(key)

    def _typed(self, key: str, default: T, kinds: tuple[type, ...], what: str) -> T | Any:
        value = self.raw(key)
        if value is None:
            return default
        # bool is a subclass of int: `retries = true` must not read as 1.
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            self.fail(key, f"must be {what}, not {toml_type(value)}{_quoted(value, kinds)}")
            return default
        if isinstance(value, str) and "\0" in value:  # no path, URL or name holds one
            self.fail(key, "must not contain a NUL character (\\u0000)")
            return default
        return value

    def string(self, key: str, default: str) -> str:
        """Return the string at ``key``, or ``default``."""
        value: str = self._typed(key, default, (str,), "a string")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        """Return the boolean at ``key``, or ``default``."""
        value: bool = self._typed(key, default, (bool,), "true or false")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        """Return the integer at ``key`` if within low..high, else record a problem."""
        value: int = self._typed(key, default, (int,), "an integer")
        if not low <= value <= high:
            self.fail(key, f"must be between {low} and {high} (got {value})")
            return default
        return value

    def fraction(self, key: str, default: float) -> float:
        """Return the number at ``key`` if within 0..1, else record a problem."""
        value = self._typed(key, default, (int, float), "a number")
        if not (math.isfinite(value) and 0 <= value <= 1):
            self.fail(key, f"must be between 0 and 1 (got {value})")
            return default
        return float(value)

    def money(self, key: str, default: Decimal | None) -> Decimal | None:
        """Return the non-negative amount at ``key`` as a Decimal, or ``default``."""
        value = self._typed(key, default, (int, float, str), "a number")
        if value is None or isinstance(value, Decimal):
            return value
        try:
            # str() first so 0.1 stays 0.1 rather than its binary expansion.
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(key, f"must be a number (got {value!r})")
            return default
        if not amount.is_finite() or amount < 0:
            self.fail(key, f"must be a number >= 0 (got {value!r})")
            return default
        return amount

    def duration(
        self,
        key: str,
        default: float | str,
        *,
        minimum: float = 0.001,
        maximum: float = 366 * 86400.0,
    ) -> float:
        """Return the duration at ``key`` in seconds if within minimum..maximum.

        The minimum defaults to 1ms: a zero interval or timeout would spin or
        never wait. Pass ``minimum=0`` where zero means "don't wait".
        """
        fallback = parse_duration(default)
        value = self.raw(key)
        if value is None:
            return fallback
        try:
            seconds = parse_duration(value, toml=True)
        except ValueError as exc:
            self.fail(key, str(exc))
            return fallback
        if not minimum <= seconds <= maximum:
            low, high = format_duration(minimum), format_duration(maximum)
            self.fail(key, f"must be between {low} and {high} (got {value!r})")
            return fallback
        return seconds

    def choice(self, key: str, default: str, choices: Iterable[str]) -> str:
        """Return the string at ``key`` if it is one of ``choices`` (case-insensitive)."""
        options = tuple(choices)
        value = self.string(key, default)
        if value.lower() not in options:
            self.fail(key, f"must be one of {', '.join(options)} (got {value!r})")
            return default
        return value.lower()

    def url(self, key: str, default: str, *, required: bool = False) -> str:
        """Return the http(s) URL at ``key``; "" is allowed unless ``required``.

        The value is never echoed: webhook URLs carry tokens.
        """
        # A blank or line break pasted around it is no part of it: dropped
        # (kept, every call failed: "Request URL is missing an 'http://' or
        # 'https://' protocol", or an HTTP 404 for ".../api/v2%20").
        value = self.string(key, default).strip()
        if required and not self.has(key):
            self.missing(self.at(key), "is required", key)
            return value
        if not value and not required:
            return value
        if self.ok(key) and not is_http_url(value):  # a wrong type is said already
            self.fail(key, "must be an http(s) URL")
        elif self.ok(key) and _CONTROL.search(value):  # urlsplit reads past it; httpx refuses
            self.fail(key, "must be an http(s) URL without a control character in it")
        elif self.ok(key) and blank_in_host(value):
            self.fail(key, "must be an http(s) URL without a blank in its host")
        elif self.ok(key) and (why := host_problem(value)):
            self.fail(key, f"its host cannot be looked up, no name lookup takes it ({why})")
        return value

    def finish(self) -> None:
        """Record a problem for every key of this table that no reader asked for,
        then the cross-checks' problems that stand (see :meth:`cross`)."""
        known = sorted(self.used)
        unknown = [key for key in self.data if key not in self.used]
        meant: set[str] = set()
        if unknown:  # only then: a config without a mistake loads without difflib
            import difflib
        for key in unknown:
            close = [k for k in (_NAMED_ELSEWHERE.get(key.lower()),) if k in known]
            close = close or difflib.get_close_matches(key, known, n=1)
            meant.update(close)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.fail(key, f"unknown key{hint}")
        for where, message, keys in self._missing:
            if not meant.intersection(keys):
                self.problems.append(problem(where, message))
        self._missing.clear()
        for key, message, given in self._cross:
            defaulted = [k for k in given if not self.has(k)]
            if self.ok(*given) and not (unknown and defaulted):
                self.fail(key, message)
        self._cross.clear()

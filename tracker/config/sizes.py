"""Byte sizes as written in the config: 1048576, "512 kB", "16 MB", "1MiB"."""

from __future__ import annotations

import re

from tracker.config.fields import Table, toml_type

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2}
_UNITS["mib"] = 1024**2
_UNITS["g"] = _UNITS["gb"] = _UNITS["gib"] = 1024**3
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*")  # ASCII digits only


def parse_size(value: object) -> int | None:
    """Given 1048576 or "16 MB" (kB and MB are 1024-based), return bytes or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    match = _SIZE.fullmatch(value)
    if match is None or match.group(2).lower() not in _UNITS:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def size(t: Table, key: str, default: int, *, minimum: int, maximum: int) -> int:
    """Return the byte size at ``key`` if within minimum..maximum, else record a problem."""
    raw = t.raw(key)
    if raw is None:
        return default
    value = parse_size(raw)
    if value is None:
        t.fail(
            key, f'must be a size like "16 MB" or a number of bytes (got {toml_type(raw)} {raw!r})'
        )
        return default
    if not minimum <= value <= maximum:
        t.fail(key, f"must be between {minimum} and {maximum} bytes (got {value})")
        return default
    return value

"""Secrets kept out of every output: register a value once, scrub it from any text.

The bottom of the tree: logging, alerts, the webhook and the CLI all scrub
through here, so none of them needs to know the others.
"""

from __future__ import annotations

import threading
from typing import Any

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
REDACTED = "***"


def register_secret(value: str) -> None:
    """Remember a value that must never be written to a log."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact_text(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


def has_secrets() -> bool:
    """Return True once any secret is registered."""
    return bool(_secrets)

"""Secrets kept out of every output: register a value once, scrub it from any text.

The bottom of the tree: logging, alerts, the webhook and the CLI all scrub
through here, so none of them needs to know the others.

A panel may echo the key in any encoding: raw, URL-encoded, JSON-escaped the
way PHP's ``json_encode`` writes it (``SECRET\\/KEY``) or as ``\\u0053\\u0045...``.
Each registered secret is matched in all those forms, and any JSON string
literal holding a backslash is decoded and checked too, so an escape mix is
caught as well.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

_secrets: set[str] = set()
_forms: list[str] = []  # every encoding of every secret, longest first
_secrets_lock = threading.Lock()
REDACTED = "***"
_REDACTED_BYTES = REDACTED.encode()
_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL_BYTES = re.compile(rb'"(?:[^"\\\n]|\\.)*"')


def forms(secret: str) -> set[str]:
    """Given a secret, return the ways it can be written in a body or a URL."""
    found = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        json.dumps(secret, ensure_ascii=True)[1:-1],
    }
    for hexdigits in ("{:04x}", "{:04X}"):
        found.add("".join("\\u" + hexdigits.format(ord(c)) for c in secret if ord(c) < 0x10000))
    return {form for form in found if form}


@lru_cache(maxsize=64)
def _ordered_forms(secret: str) -> tuple[str, ...]:
    """:func:`forms`, longest first, worked out once per secret (a panel's key is
    scrubbed from every answer)."""
    return tuple(sorted(forms(secret), key=len, reverse=True))


@lru_cache(maxsize=64)
def _byte_forms(secret: str) -> tuple[bytes, ...]:
    return tuple(form.encode("utf-8") for form in _ordered_forms(secret))


def register_secret(value: str) -> None:
    """Remember a value that must never be written to a log."""
    if value and len(value) >= 4:
        with _secrets_lock:
            if value in _secrets:
                return
            _secrets.add(value)
            every = set(_forms) | forms(value)
            _forms[:] = sorted(every, key=len, reverse=True)


def _decoded_literal(match: re.Match[str], secrets: Iterable[str]) -> str:
    literal = match.group(0)
    if "\\" not in literal:  # nothing escaped: the plain forms catch it
        return literal
    try:
        text = json.loads(literal)
    except ValueError:
        return literal
    cleaned = text
    for secret in secrets:
        cleaned = cleaned.replace(secret, REDACTED)
    return literal if cleaned == text else json.dumps(cleaned, ensure_ascii=False)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Given text and secrets, return the text with every encoding of each blanked."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return text
    if "\\" in text:  # escaped JSON: decode each string literal and look there too
        text = _LITERAL.sub(lambda m: _decoded_literal(m, secrets), text)
    for secret in secrets:
        for form in _ordered_forms(secret):
            if form in text:
                text = text.replace(form, REDACTED)
    return text


def scrub_bytes(body: bytes, secrets: Iterable[str]) -> bytes:
    """:func:`scrub` for a raw answer body (bytes in any encoding)."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return body
    if b"\\" in body:

        def literal(match: re.Match[bytes]) -> bytes:
            raw = match.group(0)
            if b"\\" not in raw:
                return raw
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw
            return _LITERAL.sub(lambda m: _decoded_literal(m, secrets), text).encode("utf-8")

        body = _LITERAL_BYTES.sub(literal, body)
    for secret in secrets:
        for encoded in _byte_forms(secret):
            if encoded in body:
                body = body.replace(encoded, _REDACTED_BYTES)
    return body


def redact_text(text: str) -> str:
    """Given any text, return it with every registered secret blanked, in any encoding."""
    if not _secrets:
        return text
    if "\\" in text:
        text = _LITERAL.sub(lambda m: _decoded_literal(m, list(_secrets)), text)
    for form in _forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


def has_secrets() -> bool:
    """Return True once any secret is registered."""
    return bool(_secrets)

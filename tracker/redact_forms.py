"""The forms of a secret, worked out once per secret: every way a panel may
write it, as plans :mod:`tracker.redact` searches an answer with.

Text forms (raw, URL-encoded, JSON-escaped, ``\\u`` escapes, hex) are matched
whatever the letter case; base64 forms as they are, since case is part of the
code.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import AnyStr
from urllib.parse import quote, quote_plus

# An encoded form shorter than this (48 bits) could turn up in ordinary text or
# another base64 blob by chance: a short key's base64 runs are not searched.
_MIN_BASE64 = 8
_MIN_HEX = 12
_PERCENT = re.compile("%[0-9A-F]{2}")


def forms(secret: str) -> set[str]:
    """Given a secret, return the ways it can be written as text in a body or a
    URL, matched whatever the letter case (base64 is in :func:`base64_forms`)."""
    found: set[str] = set()
    for variant in {secret, secret.lower(), secret.upper()}:
        escaped = json.dumps(variant, ensure_ascii=False)[1:-1]
        found |= {
            variant,
            quote(variant, safe=""),
            quote_plus(variant),
            escaped,
            escaped.replace("/", "\\/"),
            json.dumps(variant)[1:-1],
            "".join(f"\\u{ord(c):04x}" for c in variant if ord(c) < 0x10000),
        }
    raw = secret.encode()
    found.add("".join(f"%{byte:02x}" for byte in raw))  # every byte percent-encoded
    if len(raw) * 2 >= _MIN_HEX:
        found.add(raw.hex())
    return {form for form in found if form}


def encoded_texts(secret: str) -> set[str]:
    """Given a secret, return the texts of it a panel may have base64-encoded
    (its debug output of the request it got): as it is, URL-encoded as the
    tracker's form body writes it (``quote_plus``) or as a query string
    (``quote``), and JSON-escaped (``json_encode``'s ``\\/`` too). A key of
    letters and digits has only itself, so costs no more searching; the key
    upper- or lower-cased is left out (it doubled the base64 searching of
    every answer for a panel that would change the key's case, then encode
    it)."""
    escaped = json.dumps(secret)[1:-1]
    return {
        secret,
        quote_plus(secret),
        quote(secret, safe=""),
        quote(secret),
        escaped,
        escaped.replace("/", "\\/"),
    }


def base64_forms(secret: str) -> set[str]:
    """Given a secret, return the base64 forms of each of its
    :func:`encoded_texts` (letter case matters): the whole text, and the run of
    characters its bytes alone decide when it sits at any of the three byte
    alignments inside a longer base64-encoded text; in the URL-safe alphabet,
    percent-encoded as in a URL, and with json_encode's ``\\/``."""
    found: set[str] = set()
    for text in encoded_texts(secret):
        raw = text.encode()
        whole = base64.b64encode(raw).decode()
        found |= {whole, whole.rstrip("=")}
        for lead in range(3):  # the text after 0, 1 or 2 bytes of other text
            coded = base64.b64encode(bytes(lead) + raw).decode()
            found.add(coded[(0, 2, 3)[lead] : 8 * (lead + len(raw)) // 6])
    found |= {form.replace("+", "-").replace("/", "_") for form in found}
    # In a URL, "+", "/" and "=" are percent-encoded (%2F or %2f).
    in_url = {quote(form, safe="") for form in found if any(c in form for c in "+/=")}
    found |= in_url | {_PERCENT.sub(lambda m: m.group(0).lower(), form) for form in in_url}
    found |= {form.replace("/", "\\/") for form in found if "/" in form}  # json_encode
    return {form for form in found if len(form) >= _MIN_BASE64}


# One form to search for, the index of a shorter form it holds (searched only
# if that one was found; -1: none) and a character it holds that plain answers
# seldom do (searched only if the answer has it; empty: none).
Plan = tuple[tuple[AnyStr, int, AnyStr], ...]


def _plan(found: Iterable[AnyStr], markers: Sequence[AnyStr]) -> Plan[AnyStr]:
    ordered = sorted(set(found), key=len)
    return tuple(
        (
            form,
            max((i for i in range(index) if ordered[i] in form), default=-1),
            next((m for m in markers if m in form), form[:0]),
        )
        for index, form in enumerate(ordered)
    )


@dataclass(frozen=True)
class Forms:
    """One secret's forms: lower-cased ones for a lower-cased text, exact ones."""

    folded: Plan[str]
    exact: Plan[str]
    folded_bytes: Plan[bytes]
    exact_bytes: Plan[bytes]
    # Searched in a text with its whitespace taken out: the exact forms and
    # hex in either case (base64 wrapped in lines, hex spaced out); and, if
    # the text has a line break, the key itself (cut by PHP's wordwrap()).
    spread: Plan[str]
    spread_bytes: Plan[bytes]
    cut: Plan[str]
    cut_bytes: Plan[bytes]
    shortest: int  # a shorter text (a log field) cannot hold any form


@lru_cache(maxsize=64)
def forms_of(secret: str) -> Forms:
    """Every form of a secret, worked out once (a panel's key is scrubbed from
    every answer)."""
    text, coded = forms(secret), base64_forms(secret)
    folded_bytes = {form.encode().lower() for form in text}
    for variant in {secret, secret.lower(), secret.upper()}:
        folded_bytes |= {variant.encode("utf-16-le").lower(), variant.encode("utf-16-be").lower()}
    markers = ("\x00", "\\", "%")
    byte_markers = tuple(m.encode() for m in markers)
    folded, exact = _plan((form.lower() for form in text), markers), _plan(coded, markers)
    hexed = secret.encode().hex()
    spread = coded | ({hexed, hexed.upper()} if len(hexed) >= _MIN_HEX else set())
    cut = {secret, secret.lower(), secret.upper()} if len(secret) >= _MIN_BASE64 else set()
    return Forms(
        folded=folded,
        exact=exact,
        folded_bytes=_plan(folded_bytes, byte_markers),
        exact_bytes=_plan((form.encode() for form in coded), byte_markers),
        spread=_plan(spread, markers),
        spread_bytes=_plan((form.encode() for form in spread), byte_markers),
        cut=_plan(cut, markers),
        cut_bytes=_plan((form.encode() for form in cut), byte_markers),
        shortest=min(len(form) for form, _, _ in folded + exact),
    )

"""The pieces of a key cut by other text, a PHP notice, or by a stray byte
in a UTF-16 answer, the piece after it read a byte out of step: blanked
(:func:`blank_pieces`), in a raw answer the panel client has made UTF-8.
Pure.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import AnyStr

from tracker.redact_layout import Spans, blank

PIECE = 8  # the shortest piece of a key cut by other text that is blanked


def blank_pieces(body: bytes, key: str, mark: bytes = b"***") -> bytes:
    """Given a raw answer and a key of 16 characters or more, return the answer
    with every run of it that is a piece of the key, 8 characters or longer, in
    any letter case, blanked: a key cut by a PHP notice printed in the middle of
    it (``k3yA-bcD<br />\\n<b>Warning</b>: ... on line 3<br />\\ne-fGh...``),
    whatever stands between its pieces; or by a stray byte in a UTF-16
    answer, the piece after it read a byte out of step (:func:`_out_of_step`).
    A shorter piece is no key; a piece of an encoded form of the key is not
    looked for.

    Looked for only where the answer holds the key's first or last PIECE
    characters: an echo of the key, cut or not, begins with its start and
    ends with its end, so every cut leaves one of them in a piece of 8 or
    more (each window searched costs a pass over the answer: 25 passes, 0.2
    ms per 100-order status answer, for the usual answer that echoes nothing)."""
    secret = key.encode("utf-8", "surrogateescape").lower()
    if len(secret) < 2 * PIECE:
        return body
    if not body.isascii() and any(moved in body for moved in _out_of_step(key)):
        text = body.decode("utf-8", "surrogateescape")  # any bytes, given back as they were
        spans = _windows(text.translate(_high_bytes()), key.lower())
        return blank(text, spans, mark.decode()).encode("utf-8", "surrogateescape")
    lowered = body.lower()  # ASCII letters only: every byte keeps its place
    if secret[:PIECE] not in lowered and secret[-PIECE:] not in lowered:
        return body
    return blank(body, _windows(lowered, secret), mark)


def _windows(lowered: AnyStr, secret: AnyStr) -> Spans:
    """Spans of ``lowered`` that spell PIECE characters in a row of ``secret``."""
    spans: Spans = []
    for start in range(len(secret) - PIECE + 1):
        window = secret[start : start + PIECE]
        at = lowered.find(window)
        while at >= 0:
            spans.append((at, at + PIECE))
            at = lowered.find(window, at + 1)
    return spans


@lru_cache(maxsize=8)
def _out_of_step(key: str) -> tuple[bytes, ...]:
    """Given an ASCII key, return (in UTF-8) 6 characters after its first, and
    6 before its last, of its UTF-16 read a byte out of step (``k`` as
    U+6B00), in its letter cases: a piece of 8 after a stray byte in a UTF-16
    answer (or before the byte putting it back in step) holds one of them."""
    if not key.isascii():
        return ()
    found = set()
    for variant in {key, key.lower(), key.upper()}:
        moved = "".join(chr(ord(char) << 8) for char in variant)
        found |= {moved[1:7].encode(), moved[-7:-1].encode()}
    return tuple(found)


@lru_cache(maxsize=1)
def _high_bytes() -> dict[int, int]:
    """A table reading each character whose high byte is printable ASCII
    (U+2000 to U+7EFF) as that byte, lower-cased (ASCII letters too): the key
    read a byte out of step reads as the key, ``k`` beside a stray ``z`` too."""
    table = {code: ord(chr(code >> 8).lower()) for code in range(0x2000, 0x7F00)}
    table.update((ord(char), ord(char.lower())) for char in string.ascii_uppercase)
    return table

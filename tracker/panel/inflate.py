"""Undoing an answer's Content-Encoding (gzip, deflate) without passing the size cap.

httpx decodes a compressed answer a network chunk at a time, and one 64 kB
chunk of a gzip bomb is 64 MB once decoded, before any size check can run.
:class:`Inflater` decodes in steps no larger than the room left under the
cap, so :func:`tracker.panel.deadline.exchange` refuses an answer the moment
its decoded size passes the cap, with memory never far above it.

The body must be whole compressed data, nothing else: gzip members one after
another are one answer (RFC 1952; ``gzip -d`` reads them so), blanks after
the end are the body's (JSON allows them; counted toward the cap), any other
byte after it, or a stream cut before its end, is :class:`Undecodable`. Only
the first member was read and the rest dropped unseen: a refusal then, in a
second member, the order it placed was "no order placed".
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx

# What the tracker asks for: the two encodings decoded here, nothing else.
ACCEPT_ENCODING = "gzip, deflate"
_GZIP_MAGIC = b"\x1f\x8b"  # how a gzip member begins (RFC 1952)
_WINDOW = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
# A deflate answer is read as zlib-wrapped until it decodes to a byte or this
# many bytes of it are read: until then, a zlib error reads it again as raw
# deflate (the bytes read until then kept for that).
_SNIFF = 1024


class Undecodable(httpx.DecodingError):
    """An answer whose Content-Encoding cannot be undone; ``status`` is its
    HTTP status, which came first (a webhook's 2xx: the alert was taken)."""

    def __init__(self, message: str, status: int | None):
        super().__init__(message)
        self.status = status


class Inflater:
    """Given an answer's Content-Encoding header (and its HTTP status), decode
    its body chunk by chunk.

    No header or ``identity``: the bytes as they come. Anything but one of
    gzip and deflate raises :class:`Undecodable` (an ``httpx.DecodingError``),
    as does a broken stream.
    """

    def __init__(self, header: str, status: int | None = None):
        self._status = status
        codings = [c.strip().lower() for c in header.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in _WINDOW):
            # The value itself is not repeated: it is the panel's text, and
            # errors end up in logs and alerts.
            raise Undecodable("unsupported Content-Encoding (only gzip and deflate)", status)
        self._coding = codings[0] if codings else None
        self._engine = zlib.decompressobj(_WINDOW[self._coding]) if self._coding else None
        self._started = False
        # The bytes of a deflate answer read while it may still be raw deflate.
        self._head: bytes | None = b"" if self._coding == "deflate" else None

    def pieces(self, data: bytes, room: int) -> Iterator[bytes]:
        """Yield ``data`` decoded, in pieces that together stop once they exceed
        ``room`` bytes (the caller refuses the answer there)."""
        if self._engine is None:
            yield data
            return
        while data and room > 0:
            if self._engine.eof:  # bytes after the stream's end
                rest = data.lstrip(b" \t\r\n")
                if len(rest) < len(data):  # blanks, as JSON allows: the body's, capped
                    room -= len(data) - len(rest)
                    yield data[: len(data) - len(rest)]
                data = self._next_member(rest)
                continue
            try:
                out = self._engine.decompress(data, room)
            except zlib.error as exc:
                if self._head is not None:
                    # Some servers send raw deflate, without the zlib wrapper:
                    # all of it read again so (a first piece of one byte is no
                    # zlib error: its header is two).
                    data, self._head = self._head + data, None
                    self._engine = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise Undecodable(f"broken {self._coding} answer: {exc}", self._status) from None
            self._started = True
            tail = self._engine.unconsumed_tail
            if self._head is not None:
                self._head += data[: len(data) - len(tail)]
                if out or self._engine.eof or len(self._head) > _SNIFF:
                    self._head = None  # zlib-wrapped it is
            data = tail or self._engine.unused_data
            if out:
                room -= len(out)
                yield out

    def _next_member(self, rest: bytes) -> bytes:
        """Given the bytes after the end of the stream and its blanks, begin
        the next gzip member and return them; raise :class:`Undecodable`
        for any after a deflate stream, and for bytes after a gzip one that
        do not begin a member (its magic number; a broken header past it
        fails as it is decoded)."""
        if rest and (self._coding == "deflate" or not _GZIP_MAGIC.startswith(rest[:2])):
            raise Undecodable(f"bytes after the end of its {self._coding} answer", self._status)
        if rest:
            self._engine = zlib.decompressobj(_WINDOW[self._coding or "gzip"])
        return rest

    def flush(self) -> bytes:
        """Return what the decoder still holds once the body has ended (at most
        its window: the input is all taken in by then); raise
        :class:`Undecodable` for a stream cut before its end."""
        if self._engine is None:
            return b""
        tail = self._engine.flush()
        if self._started and not self._engine.eof:
            raise Undecodable(f"{self._coding} answer cut off before its end", self._status)
        return tail

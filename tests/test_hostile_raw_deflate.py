"""A deflate answer sent raw, without the zlib wrapper (RFC 1951 bytes under
``Content-Encoding: deflate``, as some servers do), whose first piece read is
short: one byte of a chunked body.

The fallback from zlib-wrapped to raw deflate was decided on the first piece
alone: one byte is no error for zlib (its header is two), so the answer was
taken as zlib-wrapped and refused as "broken deflate" at the next piece.
The bytes read before the choice are now kept and read again as raw deflate."""

from __future__ import annotations

import zlib
from http.server import BaseHTTPRequestHandler

import pytest
from hostile import HostileServer
from test_hostile_http import client

from tracker.errors import AnswerTooLargeError
from tracker.panel.inflate import Inflater, Undecodable

BALANCE = b'{"balance": "12.5", "currency": "USD"}'


def raw_deflate(body: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


def chunked(packed: bytes, sizes: list[int]):
    """A writer sending ``packed`` under Content-Encoding: deflate, in chunks
    of ``sizes`` bytes (the rest in one last chunk)."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
            "Content-Encoding: deflate\r\nContent-Type: application/json\r\n\r\n"
        )
        parts, rest = [], packed
        for size in sizes:
            parts.append(rest[:size])
            rest = rest[size:]
        parts.append(rest)
        wire = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts if p) + b"0\r\n\r\n"
        handler.wfile.write(head.encode() + wire)

    return write


@pytest.mark.parametrize("sizes", [[1], [1, 1], [1, 1, 1, 1, 1]], ids=["1", "1+1", "5x1"])
def test_a_raw_deflate_answer_whose_first_chunk_is_one_byte_is_read(sizes):
    with HostileServer(lambda form: chunked(raw_deflate(BALANCE), sizes)) as server:
        panel = client(server.url)
        assert str(panel.balance().balance) == "12.5"
        panel.close()


def decoded(packed: bytes, step: int, room: int = 1 << 20) -> bytes:
    inflater = Inflater("deflate")
    out = b"".join(
        b"".join(inflater.pieces(packed[i : i + step], room)) for i in range(0, len(packed), step)
    )
    return out + inflater.flush()


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_deflate_wrapped_or_raw_is_read_whatever_its_pieces(step):
    assert decoded(raw_deflate(BALANCE), step) == BALANCE
    assert decoded(zlib.compress(BALANCE), step) == BALANCE


@pytest.mark.parametrize("step", [1, 1000])
def test_a_deflate_answer_cut_short_or_broken_is_still_refused(step):
    with pytest.raises(Undecodable, match="cut off before its end"):
        decoded(raw_deflate(BALANCE)[:-3], step)
    with pytest.raises(Undecodable, match="cut off before its end"):
        decoded(zlib.compress(BALANCE)[:1], step)
    with pytest.raises(Undecodable, match="broken deflate answer"):
        decoded(b"\xff\xff\xff\xff not deflate at all", step)


def test_a_raw_deflate_bomb_in_one_byte_pieces_first_stops_at_the_cap():
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    bomb = packer.compress(b"[" + b" " * (20 * 1024 * 1024)) + packer.compress(b"]")
    bomb += packer.flush()
    with HostileServer(lambda form: chunked(bomb, [1, 1])) as server:
        panel = client(server.url)
        with pytest.raises(AnswerTooLargeError, match="larger than 1 MB"):
            panel.balance()
        panel.close()

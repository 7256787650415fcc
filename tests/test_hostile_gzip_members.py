"""A compressed answer whose compressed stream is not one whole stream:
two gzip members (RFC 1952 allows several: ``gzip -d`` reads them as one
file), bytes after the stream's end, or a stream cut before its end.
Through the real CLI and a scripted panel on loopback.

Only the first member was decoded and anything after the stream's end
dropped unread, so ``{"error": "Not enough funds"}`` then ``{"order":
5009}`` in a second member (or plain after the end) was "no order placed"
for an order the panel says it placed (sent again by the user: placed
twice), and a poll believed the first of two status answers that differ;
the bytes after the end were kept in memory, under no cap.
Every member is now read, as the two documents they hold would be
(tests/test_hostile_two_documents.py); bytes after the end (but blanks)
or a stream cut short make an answer that cannot be decoded."""

from __future__ import annotations

import gzip
import json
import os
import zlib

import pytest
from hostile import HostileServer, Reply
from simconfig import assert_added_once, scripted_panel, stored_orders
from test_hostile_http import memory_of_one_call

from tracker.config.model import PanelConfig, Secret
from tracker.errors import AnswerTooLargeError
from tracker.panel.client import PanelClient

KEY = "hostile-key-GzipMembers4471"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
REFUSAL = b'{"error": "Not enough funds on balance"}'
ORDER = b'{"order": 5009}'


def _said(encoding: str, body: bytes) -> Reply:
    return Reply(body, headers={"Content-Type": "application/json", "Content-Encoding": encoding})


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli): ``replies`` maps an action to its Reply."""
    with scripted_panel(tmp_path, monkeypatch, KEY) as scripted:
        yield scripted


def test_an_add_answered_over_two_gzip_members_is_read_whole(panel, tmp_path):
    server, replies, cli = panel
    # One answer compressed in two writes (a script flushing its output
    # buffer midway), then a newline after the stream: read as one answer.
    body = gzip.compress(b'{"order": ') + gzip.compress(b"23501}") + b"\r\n"
    replies["add"] = _said("gzip", body)
    assert_added_once(server, cli(*ADD), tmp_path, 23501)


@pytest.mark.parametrize(
    ("encoding", "body", "said"),
    [
        ("gzip", gzip.compress(REFUSAL) + gzip.compress(ORDER), "2 JSON documents that differ"),
        ("gzip", gzip.compress(REFUSAL) + ORDER, "bytes after the end of its gzip answer"),
        ("deflate", zlib.compress(REFUSAL) + ORDER, "bytes after the end of its deflate answer"),
        ("gzip", gzip.compress(REFUSAL)[:-4], "cannot be decoded"),
    ],
    ids=["an order in a second member", "an order after the end", "deflate", "cut short"],
)
def test_an_add_refused_by_part_of_its_compressed_answer_is_outcome_unknown(
    panel, tmp_path, encoding, body, said
):
    server, replies, cli = panel
    replies["add"] = _said(encoding, body)
    result = cli(*ADD)
    assert result.exit_code == 1, result.output
    assert "outcome unknown — check the panel before placing it again" in result.output
    assert said in result.output, result.output
    assert "no order placed" not in result.output  # the refusal not believed
    assert "Traceback" not in result.output
    assert [f["action"] for f in server.requests] == ["add"]  # sent once


@pytest.mark.usefixtures("quick_backoff")  # retried as any unreadable answer: not the wait
def test_a_status_answered_over_gzip_members_that_differ_believes_neither(panel, tmp_path):
    server, replies, cli = panel
    now = {"7": {"status": "In progress", "remains": "40"}, "8": "Pending"}
    other = {"7": {"status": "Canceled", "remains": "100"}, "8": "Completed"}
    body = gzip.compress(json.dumps(other).encode()) + gzip.compress(json.dumps(now).encode())
    replies["status"] = _said("gzip", body)
    assert cli("track", "7", "8").exit_code == 0
    result = cli("run", "--once", "--all")
    assert result.exit_code != 0
    assert "2 JSON documents that differ" in result.output, result.output
    assert stored_orders(tmp_path) == [(7, None, None), (8, None, None)]  # neither believed


def _gzip_then(after: int, byte: bytes = b"x"):
    """A writer: a gzip answer of a balance, then ``after`` of ``byte``, as
    fast as the client reads, no Content-Length: the connection closed at the end."""
    packed = gzip.compress(b'{"balance": "5.00", "currency": "USD"}')

    def write(handler) -> None:
        head = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n"
        try:
            handler.wfile.write(head.encode() + packed)
            block = byte * (64 * 1024)
            for _ in range(after // len(block)):
                handler.wfile.write(block)
        except OSError:
            pass  # the client hung up: what we wanted

    return write


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_bytes_after_a_gzip_answers_end_are_not_kept_in_memory():
    # The decoder kept every byte after the stream's end (its unused_data),
    # counted toward no cap: 200 MB after a small answer, 110 MB more.
    with HostileServer(lambda form: _gzip_then(200 * 1024 * 1024)) as server:
        before, peak = memory_of_one_call(server.url, "balance")
    assert peak < before + 20 * 1024 * 1024, (before, peak)


def test_blanks_after_a_gzip_answers_end_count_toward_its_cap():
    # Dropped unseen, they were under no cap: a call read them to its deadline.
    with HostileServer(lambda form: _gzip_then(2 * 1024 * 1024, b" ")) as server:
        config = PanelConfig(name="p", url=server.url, key=Secret(KEY), timeout=5, retries=0)
        client = PanelClient(config, sleep=lambda _seconds: None)
        with pytest.raises(AnswerTooLargeError, match="larger than 1 MB"):
            client.balance()
        client.close()


BALANCE = b'{"balance": "5.00", "currency": "USD"}'
_EMPTY_STORED = b"\x00\x00\x00\xff\xff"  # a deflate block of no bytes (a sync flush's)


def _padded(encoding: str, wire: int) -> bytes:
    """A balance answer that decodes to the balance alone, after about
    ``wire`` bytes on the wire that decode to nothing: empty gzip members,
    or empty deflate blocks inside one zlib stream."""
    if encoding == "gzip":
        empty = gzip.compress(b"")
        return empty * (wire // len(empty)) + gzip.compress(BALANCE)
    packed = zlib.compress(BALANCE)
    return packed[:2] + _EMPTY_STORED * (wire // len(_EMPTY_STORED)) + packed[2:]


def _sent_whole(body: bytes, encoding: str):
    def write(handler) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\nConnection: close\r\n\r\n"
        try:
            handler.wfile.write(head.encode() + body)
        except OSError:
            pass  # the client hung up: what we wanted

    return write


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_answer_past_the_cap_on_the_wire_is_refused_whatever_it_decodes_to(encoding):
    # Only the decoded bytes were capped: megabytes of empty members (or
    # blocks) decoding to nothing kept a core busy to the call's deadline.
    body = _padded(encoding, 2 * 1024 * 1024)
    with HostileServer(lambda form: _sent_whole(body, encoding)) as server:
        config = PanelConfig(name="p", url=server.url, key=Secret(KEY), timeout=5, retries=0)
        client = PanelClient(config, sleep=lambda _seconds: None)
        with pytest.raises(AnswerTooLargeError, match="larger than 1 MB"):
            client.balance()
        small = _padded(encoding, 512 * 1024)  # the same shape under the cap: read as any
        server.respond = lambda form: _sent_whole(small, encoding)
        assert str(client.balance().balance) == "5.00"
        client.close()

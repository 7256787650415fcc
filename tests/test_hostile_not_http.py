"""A panel's port answering what no web server sends, through the real CLI on
loopback: a header line of a megabyte, header lines without end, a chunked
body whose size line never ends, a 101 Switching Protocols to a plain POST;
and a 204 or 304 (no content at all) to a POST. Each is said in the tracker's
words (what the panel did, what to check), never h11's ("Receive buffer too
long", "_SWITCH_UPGRADE event without a pending proposal") or "answered
invalid JSON:" with nothing after it."""

from __future__ import annotations

import pytest
from hostile import HostileServer, Reply, protocol_errors
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

KEY = "hostile-key-NotHttp5931"
NOT_HTTP = "not an answer a web server sends"
FIX = "check the scheme, host and port in panels[0].url"


def _long_header(handler) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"p" * (1024 * 1024) + b"\r\n"
    handler.wfile.write(head + b"Content-Length: 2\r\n\r\n{}")


def _endless_chunk_size(handler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 300_000)


def _headers_without_end(handler) -> None:
    try:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for number in range(20_000):  # never the blank line ending them
            handler.wfile.write(b"X-Line-%d: v\r\n" % number)
    except OSError:
        pass  # the client hung up: what we wanted


def _switching(handler) -> None:
    handler.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")


def _raw(answer: bytes):
    def write(handler) -> None:
        handler.wfile.write(answer)

    return write


LONG = "sent headers (or a chunk's size line) too long to read"
SWITCH = "answered 101 Switching Protocols to a request that asked for no switch"
TRANSFER = "sent a Transfer-Encoding other than chunked (the only one HTTP asks a client to read)"
CASES = {
    "a header line of a megabyte": (_long_header, LONG),
    "a chunk size line that never ends": (_endless_chunk_size, LONG),
    "header lines without end": (_headers_without_end, LONG),
    "a 101 to a POST": (_switching, SWITCH),
    "a status line that is not HTTP's": (
        _raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
        "answered with a first line that is no HTTP status line",
    ),
    "a header line without a colon": (
        _raw(b"HTTP/1.1 200 OK\r\nBad Header\r\nContent-Length: 2\r\n\r\n{}"),
        "sent a header line that is not 'Name: value'",
    ),
    "a chunk size that is no number": (
        _raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
        "sent a chunked body whose chunk size line is no size",
    ),
    "two Content-Lengths that disagree": (
        _raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
        "sent Content-Length headers that disagree",
    ),
    "a Content-Length that is no number": (
        _raw(b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\n{}"),
        "sent a Content-Length that is no number",
    ),
    "a Transfer-Encoding of gzip": (
        _raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n{}"),
        TRANSFER,
    ),
    "a Transfer-Encoding of identity": (
        _raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n{}"),
        TRANSFER,
    ),
    "a Transfer-Encoding of gzip, chunked": (
        _raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
        TRANSFER,
    ),
    "two Transfer-Encoding headers": (
        _raw(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
            b"\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
        ),
        "sent more than one Transfer-Encoding header",
    ),
    "a blank line before the status line": (
        _raw(b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
        "answered with a first line that is no HTTP status line",
    ),
    "a status code below 100": (
        _raw(b"HTTP/1.1 099 Odd\r\nContent-Length: 2\r\n\r\n{}"),
        "answered with a status code below 100",
    ),
    "a first header line that continues none": (
        _raw(b"HTTP/1.1 200 OK\r\n Folded: x\r\nContent-Length: 2\r\n\r\n{}"),
        "sent a header line that is not 'Name: value'",
    ),
}
# h11's words, which a user never reads (logged at debug).
H11 = (
    "Receive buffer",
    "SWITCH_UPGRADE",
    "illegal",
    "conflicting",
    "bad Content",
    "connection to",
    "Only Transfer-Encoding",
    "multiple Transfer-Encoding",
    "no response line",
    "status_code",
    "continuation line",
)


@pytest.fixture(params=list(CASES))
def answered(request, tmp_path, monkeypatch):
    writer, said = CASES[request.param]
    with HostileServer(lambda form: writer) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        yield said, cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})


def test_services_names_what_the_panel_sent_not_h11s_words(answered):
    said, cli = answered
    result = cli("services", "--refresh")
    assert result.exit_code == 1
    assert f"{said}: {NOT_HTTP}" in result.stderr, result.stderr
    assert not [words for words in H11 if words in result.stderr], result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_names_what_the_panel_sent_and_what_to_check(answered):
    said, cli = answered
    result = cli("doctor")
    assert result.exit_code == 1
    assert f"{said}: {NOT_HTTP}; {FIX}" in " ".join(result.stdout.split()), result.stdout
    assert not [words for words in H11 if words in result.stdout], result.stdout


def test_an_add_so_answered_is_an_unknown_outcome_in_the_trackers_words(answered):
    said, cli = answered
    result = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
    assert result.exit_code == 1
    assert "outcome unknown — check the panel before placing it again" in result.stderr
    assert said in result.stderr and not [words for words in H11 if words in result.stderr]


@pytest.mark.parametrize(
    ("command", "unknown"),
    [
        (["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"], ""),
        (["refill", "5001", "--force"], "the refill request may have reached the panel"),
        (["cancel", "5001", "--yes"], "#5001 unknown: sim: cancel: outcome unknown"),
    ],
)
def test_an_outcome_unknown_so_answered_says_what_to_check(tmp_path, monkeypatch, command, unknown):
    """Whether it acted is for the panel to show; why it answered no HTTP
    is the URL's, or its web server's: said as doctor and a call not sent say it."""
    with HostileServer(lambda form: _switching) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        assert cli("track", "5001", "--service", "1").exit_code == 0
        result = cli(*command)
    said = " ".join((result.stdout + result.stderr).split())
    assert result.exit_code == 1
    assert unknown in said and "outcome unknown — check the panel before" in said, said
    assert f"{SWITCH}: {NOT_HTTP})" in said, said
    hint = f"{FIX}; if they are the panel's, its web server is broken: tell the panel's support"
    assert hint in said, said


@pytest.mark.usefixtures("fresh_logs")
def test_h11s_own_words_are_kept_at_debug():
    kept = protocol_errors(_switching, KEY, SWITCH)
    assert [(e["log_level"], e["action"]) for e in kept] == [("debug", "balance")]
    assert "_SWITCH_UPGRADE event without a pending proposal" in kept[0]["said"]


@pytest.mark.usefixtures("fresh_logs")
def test_a_refused_line_kept_at_debug_is_cut_and_shows_no_key():
    def bad_status_line(handler) -> None:
        line = f"HTTP/1.1 2OO {'p' * 5000} key={KEY}\r\nContent-Length: 2\r\n\r\n{{}}"
        handler.wfile.write(line.encode())

    (kept,) = [e["said"] for e in protocol_errors(bad_status_line, KEY, "no HTTP status line")]
    assert kept.startswith("illegal status line") and len(kept) <= 300
    assert KEY not in kept


@pytest.mark.parametrize("code", [200, 204, 304])
def test_an_answer_with_no_content_says_so(tmp_path, monkeypatch, code):
    with HostileServer(lambda form: Reply(b"", status=code, headers={})) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        services = cli("services", "--refresh")
        doctor = cli("doctor")
    assert services.exit_code == 1
    said = "answered no content" if code == 200 else f"HTTP {code}: answered no content"
    assert services.stderr.strip().endswith(f"services: {said}"), services.stderr
    assert f"balance call failed: {said}" in doctor.stdout
    assert "invalid JSON" not in services.stderr + doctor.stdout

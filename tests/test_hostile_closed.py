"""A panel's server closing the connection, through the real CLI on loopback:
before any answer, in the middle of its status line and headers, or before
its answer was whole (a Content-Length not reached, a chunk cut off). Each
is said in the tracker's words, never httpcore's or h11's ("Server
disconnected without sending a response.", "peer unexpectedly closed
connection"); an add so answered stays an outcome unknown (it may have been
placed)."""

from __future__ import annotations

import pytest
from hostile import HostileServer, protocol_errors
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import cli_in, sim_config

KEY = "hostile-key-Closed6071"
NO_ANSWER = "closed the connection without answering"
CUT = "closed the connection before its answer was whole"
HEAD = "closed the connection in the middle of its answer's status line and headers"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
# The libraries' words, which a user never reads (logged at debug).
LIBRARY = ("Server disconnected", "peer ", "connection to", "incomplete", "can't handle")


def _sends(answer: bytes):
    def write(handler) -> None:
        handler.wfile.write(answer)  # then the handler returns: the connection closes

    return write


CASES = {
    "nothing at all": (b"", NO_ANSWER),
    "a 100 Continue, then nothing": (b"HTTP/1.1 100 Continue\r\n\r\n", NO_ANSWER),
    "a status line cut off": (b"HTTP/1.1 20", HEAD),
    "a header line cut off": (b"HTTP/1.1 200 OK\r\nContent-Le", HEAD),
    "headers without the blank line ending them": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
        HEAD,
    ),
    "a 100 Continue, then part of a status line": (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200",
        HEAD,
    ),
    "a body short of its Content-Length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}",
        CUT,
    ),
    "a chunk size line cut off": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5",
        CUT,
    ),
    "a chunk cut off": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}", CUT),
}


@pytest.fixture(params=list(CASES))
def closed(request, tmp_path, monkeypatch):
    answer, said = CASES[request.param]
    with HostileServer(lambda form: _sends(answer)) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        yield said, cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})


def _library_words(text: str) -> list[str]:
    return [words for words in LIBRARY if words in text]


def test_services_says_the_panel_closed_the_connection(closed):
    said, cli = closed
    result = cli("services", "--refresh")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(said), result.stderr
    assert not _library_words(result.stderr), result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_says_the_panel_closed_the_connection(closed):
    said, cli = closed
    result = cli("doctor")
    assert result.exit_code == 1
    assert "balance call failed: 127.0.0.1:" in result.stdout
    assert said in " ".join(result.stdout.split()), result.stdout
    assert "not an answer a web server sends" not in result.stdout  # HTTP allows a close
    assert not _library_words(result.stdout), result.stdout


def test_an_add_so_closed_is_still_an_unknown_outcome(closed):
    said, cli = closed
    result = cli(*ADD)
    assert result.exit_code == 1
    assert "outcome unknown — check the panel before placing it again" in result.stderr
    assert said in result.stderr and not _library_words(result.stderr), result.stderr


@pytest.mark.usefixtures("fresh_logs")
def test_the_librarys_own_words_are_kept_at_debug():
    kept = protocol_errors(_sends(b""), KEY, NO_ANSWER)
    assert [(e["log_level"], e["action"]) for e in kept] == [("debug", "balance")]
    assert "Server disconnected without sending a response" in kept[0]["said"]


@pytest.mark.usefixtures("fresh_logs")
def test_the_librarys_words_for_headers_cut_off_are_kept_at_debug():
    kept = protocol_errors(_sends(b"HTTP/1.1 200 OK\r\nContent-Le"), KEY, HEAD)
    assert [(e["log_level"], e["action"]) for e in kept] == [("debug", "balance")]
    assert "Server disconnected without sending a response" in kept[0]["said"]


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (
            "can't handle event type ConnectionClosed when role=SERVER and state=SEND_RESPONSE",
            NO_ANSWER,
        ),
        (
            "can't handle event type Response when role=SERVER and state=SEND_BODY",
            "sent an answer out of HTTP's order: not an answer a web server sends",
        ),
    ],
)
def test_h11s_event_words_of_older_httpcore_are_said_in_the_trackers(words, said):
    import httpx

    from tracker.panel.failures import describe_send_failure

    failure = httpx.RemoteProtocolError(words)
    line = describe_send_failure(failure, "http://panel.test:8080/api/v2", timeout=5, connect=5)
    assert line == f"panel.test:8080 {said}"

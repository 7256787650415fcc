"""What a panel's HTTP layer does wrong, through the real CLI on loopback:
answers it encodes in a way that cannot be undone, and the like. What is
asserted is what a user sees: the command's words and exit code, how many
requests the panel got, the rows stored."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest
from hostile import HostileServer, Reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-Wire5520"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
# A PHP panel compressing its output itself behind a server that says gzip
# again, or a proxy adding the header: the body is plain JSON.
PLAIN_SAID_GZIP = {"Content-Type": "application/json", "Content-Encoding": "gzip"}


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (calls, cli): the panel's calls by action, and the CLI; every
    answer says gzip and is not."""
    calls: Counter[str] = Counter()

    def respond(form: dict[str, str]) -> Reply:
        calls[form.get("action", "")] += 1
        if form.get("action") == "add":
            return Reply(b'{"order": 4501}', headers=PLAIN_SAID_GZIP)
        return Reply(b'{"balance": "5.00", "currency": "USD"}', headers=PLAIN_SAID_GZIP)

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 1\nretry_budget = "5s"')
    yield calls, cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    server.stop()


def test_an_add_answered_in_an_encoding_that_cannot_be_undone_is_never_sent_again(panel, tmp_path):
    calls, cli = panel
    first = cli(*ADD, "--idempotency-key", "csv-row-3")
    assert first.exit_code == 1 and first.stdout == ""
    assert "outcome unknown — check the panel before placing it again" in first.stderr
    assert "answered a body that cannot be decoded (broken gzip answer" in first.stderr
    again = cli(*ADD, "--idempotency-key", "csv-row-3")  # the script's retry
    assert again.exit_code == 1 and "outcome is unknown" in again.stderr
    assert "nothing sent" in again.stderr
    assert calls["add"] == 1  # the panel placed it once: never a second order
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT idempotency_key, status FROM idempotency_keys").fetchall()
    assert rows == [("csv-row-3", "Unknown")]


@pytest.mark.usefixtures("quick_backoff")  # asked again once: the count, not the wait
def test_a_read_answered_in_an_encoding_that_cannot_be_undone_is_retried_and_named(panel):
    calls, cli = panel
    result = cli("doctor")
    assert result.exit_code == 1
    assert "answered a body that cannot be decoded (broken gzip answer" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert calls["balance"] == 2  # asked again once, as any garbled answer


def _pieces(key: str, size: int = 6) -> set[str]:
    return {key[i : i + size].lower() for i in range(len(key) - size + 1)}


@pytest.mark.parametrize("pad", [52, 62])
def test_a_status_line_quoting_the_key_where_the_line_is_cut_shows_none_of_it(
    tmp_path, monkeypatch, pad
):
    # h11 quotes a status line it refuses; the quote was cut at 120 characters
    # before the key was looked for, so a key cut by it was no longer found
    # whole: "...key=hostile-key-W…" reached doctor's output, the log and the
    # database. Now the words are scrubbed first, then cut.
    def respond(form: dict[str, str]):
        def write(handler) -> None:
            line = f"HTTP/1.1 2OO {'p' * pad}key={KEY}\r\nContent-Length: 2\r\n\r\n{{}}"
            handler.wfile.write(line.encode())

        return write

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        doctor = cli("doctor")
        added = cli(*ADD)
    assert doctor.exit_code == 1 and "no HTTP status line" in doctor.stdout
    assert added.exit_code == 1 and "outcome unknown" in added.stderr
    said = (doctor.stdout + doctor.stderr + added.stdout + added.stderr).lower()
    assert not [piece for piece in _pieces(KEY) if piece in said]


def test_a_redirect_quoting_the_key_where_its_url_is_cut_shows_none_of_it(tmp_path, monkeypatch):
    # A login page's URL quoting the request's query: the Location was cut at
    # 120 characters before the key was looked for ("...&key=hostile-key-W…").
    location = f"https://panel.example/login?next=%2Fapi%2Fv2&why={'r' * 50}&key={KEY}&a=add"

    def respond(form: dict[str, str]) -> Reply:
        return Reply(b"", status=302, headers={"Location": location})

    with HostileServer(respond) as server:
        config = sim_config(server.url, panel='timeout = "5s"\nretries = 0')
        cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
        doctor = cli("doctor")
        added = cli(*ADD)
    assert "(moved to https://panel.example/login?next=" in doctor.stdout
    assert added.exit_code == 1 and "HTTP 302" in added.stderr
    said = (doctor.stdout + doctor.stderr + added.stdout + added.stderr).lower()
    assert not [piece for piece in _pieces(KEY) if piece in said]


def test_a_webhook_that_took_the_alert_and_answered_undecodably_gets_it_once():
    # A receiver behind a server saying gzip of a plain "ok": the 200 came
    # first, but the undecodable body read as a refusal, and the alert was
    # kept and sent again, marked late, for `alerts.redeliver_for` (24h).
    from tracker.alerts.webhook import WebhookSink
    from tracker.rules.episodes import Alert

    with HostileServer(lambda form: Reply(b"ok", headers=PLAIN_SAID_GZIP)) as server:
        sink = WebhookSink(server.url, timeout=5.0, attempts=3)
        sink.send(Alert("balance_low", "main: balance low", severity="warning"))
        assert sink.flush(30)
        assert (sink.sent, sink.failed) == (1, 0)
        assert len(server.requests) == 1
        sink.close(timeout=1)

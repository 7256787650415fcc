"""Issue 12, point 6: errors name their cause, through the real CLI.

Each test points a one-panel config at something that fails in one way — a
host that does not resolve, a closed port, TLS on a plain-HTTP port, a panel
that never answers, HTTP errors with and without the panel's own words, a
panel whose words hold terminal escapes — and checks the one line the user
reads.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import HostileServer, Reply, json_reply
from key_fixes import TAKEN, install_units
from ports import closed_port
from simconfig import cli_process, sim_config

from tracker.cli.main import main
from tracker.sim.server import PanelServer, SimulatedPanel

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is retried, not the wait

KEY = "sim-key-Fail7Qw2Er9Ty4Ui"


@pytest.fixture
def sim():
    server = PanelServer(SimulatedPanel(key=KEY, seed=5, slow_seconds=3.0)).start()
    yield server
    server.stop()


# What balance says fixes a refused key, as orders and doctor say it.
KEY_FIX = (
    "fix the key in panels[0].key_env (environment variable SIM_KEY), then "
    f"{TAKEN['key_env']}; from cron, the next run reads it"
)


@pytest.fixture
def cli_for(tmp_path, monkeypatch):
    """Return invoke(url, *args): run the CLI with a config whose panel is at url."""
    install_units(tmp_path, monkeypatch, "system")  # as TAKEN says: systemctl
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)

    def invoke(url: str, *args: str, panel: str = 'retries = 0\ntimeout = "5s"'):
        (tmp_path / "tracker.toml").write_text(sim_config(url, panel=panel))
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("smm-tracker:")]
    assert len(lines) == 1, result.output
    return lines[0]


def test_unknown_host_is_named(cli_for, monkeypatch):
    real = socket.getaddrinfo

    def no_dns(host, *args, **kwargs):  # no resolver in tests: fail as one would
        if host == "panel.example.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    result = cli_for("http://panel.example.invalid/api/v2", "services", "--refresh")
    assert result.exit_code == 1
    # No retry cures it; the fix names the panel (its config's name = "sim").
    said = "host panel.example.invalid not found: check the url of panel 'sim'"
    assert said in _one_line(result)


def test_refused_port_is_named(cli_for):
    port = closed_port()
    result = cli_for(f"http://127.0.0.1:{port}/api/v2", "services", "--refresh")
    assert result.exit_code == 1
    assert f"connection refused by 127.0.0.1:{port}" in _one_line(result)


def test_an_add_refused_or_unsent_says_no_order_was_placed(cli_for, sim, monkeypatch):
    # "sim: add: connection refused by 127.0.0.1:PORT" and "sim: add: Invalid
    # API key" left a user to wonder whether the order was placed and paid for.
    args = ("add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100")
    port = closed_port()
    result = cli_for(f"http://127.0.0.1:{port}/api/v2", *args)
    assert result.exit_code == 1
    said = f"smm-tracker: sim: add: connection refused by 127.0.0.1:{port}; no order placed"
    fix = "is the panel up, and the port in panels[0].url right?"  # a retry cures no wrong port
    assert _one_line(result) == f"{said}; {fix}"
    monkeypatch.setenv("SIM_KEY", "not-the-key")
    result = cli_for(sim.url, *args)
    assert result.exit_code == 1
    assert _one_line(result) == (
        "smm-tracker: sim: add: Invalid API key; no order placed; the panel refuses this key:"
        " check that panels[0].key_env (environment variable SIM_KEY) holds this account's key"
    )
    assert sim.panel.order_count == 0


def test_a_cancel_or_refill_refused_by_the_port_says_what_to_check(cli_for):
    # They ended "- try again later" (cancel) or named the refusal alone
    # (refill): no wait cures a wrong port. add and doctor said what to check.
    port = closed_port()
    url = f"http://127.0.0.1:{port}/api/v2"
    assert cli_for(url, "track", "5").exit_code == 0
    fix = "is the panel up, and the port in panels[0].url right?"
    canceled = cli_for(url, "cancel", "--yes", "5")
    assert canceled.exit_code == 1
    said = f"#5  not sent: sim: cancel: connection refused by 127.0.0.1:{port}"
    assert canceled.stdout == f"{said} - {fix}\n"
    refilled = cli_for(url, "refill", "5")
    assert refilled.exit_code == 1
    refused = f"sim: refill: connection refused by 127.0.0.1:{port}"
    said = f"order 5: refill not sent, nothing recorded: {refused}"
    assert _one_line(refilled) == f"smm-tracker: {said}; {fix}"


def test_a_panels_own_words_of_a_refused_connection_get_no_port_hint(cli_for):
    # Only a call that got no answer is a refused port: a panel saying so in
    # its busy words ({"error": ...}) is the panel's trouble, asked again later.
    words = "Too many requests: connection refused by 127.0.0.1:3306"
    with HostileServer(lambda form: json_reply({"error": words})) as server:
        assert cli_for(server.url, "track", "5").exit_code == 0
        canceled = cli_for(server.url, "cancel", "--yes", "5")
        refilled = cli_for(server.url, "refill", "5")
    assert canceled.exit_code == 1
    assert canceled.stdout == f"#5  not sent: panel busy: {words} - try again later\n"
    assert refilled.exit_code == 1
    said = f"smm-tracker: order 5: refill not sent, nothing recorded: panel busy: {words}"
    assert _one_line(refilled) == said


def test_https_on_a_plain_http_port_is_named(cli_for, sim):
    url = sim.url.replace("http://", "https://")
    result = cli_for(url, "services", "--refresh")
    assert result.exit_code == 1
    where = url.split("/")[2]
    said = f"{where} answered plain HTTP on an https:// URL: use http:// or the TLS port"
    assert said in _one_line(result)


def test_a_timeout_says_its_limit(cli_for, sim):
    sim.panel.inject("slow", action="services")
    result = cli_for(sim.url, "services", "--refresh", panel='retries = 0\ntimeout = "1s"')
    assert result.exit_code == 1
    assert "within 1s" in _one_line(result)


def test_a_json_404_says_code_and_url(cli_for, sim):
    wrong = sim.url.replace("/api/v2", "/api/v3")
    result = cli_for(wrong, "services", "--refresh")
    assert result.exit_code == 1
    assert f"HTTP 404 from {wrong}: Not Found" in _one_line(result)


def test_a_404_names_the_url_without_its_password_or_query_values(cli_for, sim):
    # A panel behind basic auth, or a token in the query: the URL is named,
    # the credentials in it are not (they were, in the log and doctor alike).
    wrong = sim.url.replace("http://", "http://admin:S3cretPassw0rd@").replace(
        "/api/v2", "/api/v3?token=T0kenQueryABC"
    )
    result = cli_for(wrong, "services", "--refresh")
    assert result.exit_code == 1
    shown = sim.url.replace("http://", "http://admin:***@").replace("/api/v2", "/api/v3?token=***")
    assert f"HTTP 404 from {shown}: Not Found" in _one_line(result)
    assert "S3cret" not in result.output and "T0ken" not in result.output


def test_a_wrong_api_path_is_no_refused_key(cli_for, sim, tmp_path):
    # Every action answering the JSON 404 of a wrong path (the simulator's
    # /api/v3, as a newcomer's typo makes it) is the URL, not the key: it was
    # auth_failed, "the panel refused the API key ... fix the key", jobs paused.
    wrong = sim.url.replace("/api/v2", "/api/v3")
    assert cli_for(wrong, "track", "5").exit_code == 0
    result = cli_for(wrong, "run", "--once")
    assert result.exit_code == 1
    assert f"HTTP 404 from {wrong}: Not Found" in result.output
    assert "key_refused_unknown_wording" not in result.output
    db = sqlite3.connect(tmp_path / "t.db")
    kinds = [row[0] for row in db.execute("SELECT kind FROM alerts")]
    db.close()
    assert "auth_failed" not in kinds


def test_a_500_shows_the_panels_own_words(cli_for, sim):
    sim.panel.inject("json500", action="services")
    result = cli_for(sim.url, "services", "--refresh")
    assert result.exit_code == 1
    assert "HTTP 500: Internal Server Error" in _one_line(result)


HTML = {"Content-Type": "text/html; charset=UTF-8"}
WELCOME = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head></html>"
CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<script>window._cf_chl_opt={cZone:'panel.example'};</script>"
    b'<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>'
    b"</body></html>"
)


def test_a_web_page_answering_add_points_at_the_url_key(cli_for):
    with HostileServer(lambda form: Reply(WELCOME, 200, HTML)) as server:
        result = cli_for(
            server.url, "add", "--service", "1", "--link", "https://x.example/p", "--quantity", "9"
        )
    assert result.exit_code == 1
    line = _one_line(result)
    assert "outcome unknown" in line
    assert "this URL answers a web page, not the API — check panels[0].url" in line


BAD_GATEWAY = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def test_a_gateway_error_page_on_add_is_no_wrong_url(cli_for):
    # A 5xx page is the panel (or its proxy) failing, the URL right: "check
    # panels[0].url" invited editing the config and placing the order again,
    # though the panel may well have placed it (soak: it had).
    with HostileServer(lambda form: Reply(BAD_GATEWAY, 502, HTML)) as server:
        result = cli_for(
            server.url,
            "add", "--service", "1", "--link", "https://x.example/p", "--quantity", "9",
            panel='retries = 0\ntimeout = "5s"',
        )  # fmt: skip
        doctor = cli_for(server.url, "doctor", panel='retries = 0\ntimeout = "5s"')
    line = _one_line(result)
    assert result.exit_code == 1 and "outcome unknown" in line and "HTTP 502" in line
    assert "panels[0].url" not in line and "answers a web page" not in line
    assert doctor.exit_code == 1 and "panels[0].url" not in doctor.output


def test_a_web_page_titled_http_500_still_points_at_the_url():
    from tracker.panel.failures import describe_status
    from tracker.panel.fixes import web_page_hint

    page = b"<html><head><title>HTTP 500 Internal Server Error - IIS</title></head></html>"
    said = describe_status(200, page, "https://panel.example/api/v2")
    assert web_page_hint(said, 200, 0) == (
        "this URL answers a web page, not the API — check panels[0].url"
    )
    bad_gateway = describe_status(502, BAD_GATEWAY, "https://p.example/api")
    assert web_page_hint(bad_gateway, 502, 0) is None


def test_a_cloudflare_challenge_on_add_is_no_order_and_no_wrong_url(cli_for, sim):
    # Cloudflare says it answered in the panel's stead (cf-mitigated:
    # challenge): the order never reached the panel. Not "check the URL",
    # and not "outcome unknown" for an order that cannot have been placed.
    sim.panel.inject("challenge", action="add")
    result = cli_for(
        sim.url, "add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"
    )
    assert result.exit_code == 1
    line = _one_line(result)
    assert "outcome unknown" not in line and "check panels[0].url" not in line
    assert "a bot check answered, not the panel (Just a moment...;" in line
    assert "the request did not reach the panel" in line
    assert "try again later" in line
    assert sim.panel.order_count == 0


def test_a_brief_cloudflare_challenge_on_add_is_sent_again_once(cli_for, sim):
    # With retries, a challenge that lifts is passed: one order placed.
    sim.panel.inject("challenge", action="add")
    result = cli_for(
        sim.url,
        "add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100",
        panel='retries = 2\ntimeout = "5s"',
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sim.panel.order_count == 1


def test_a_challenge_page_without_cloudflares_header_says_bot_check(cli_for):
    # A bot check's page (a 403, as Cloudflare serves them, or a DDoS-Guard
    # one) without the header: the URL is right, the hint says so.
    with HostileServer(lambda form: Reply(CHALLENGE, 403, HTML)) as server:
        result = cli_for(server.url, "services", "--refresh")
    assert result.exit_code == 1
    line = _one_line(result)
    assert "HTTP 403: a bot check answered, not the panel (Just a moment...)" in line
    assert "check panels[0].url" not in line


def test_a_403_cloudflare_challenge_on_add_is_sent_again_and_never_unknown(cli_for):
    # Cloudflare serves its challenges as 403s: marked, they never reached the panel.
    challenge = Reply(CHALLENGE, 403, {**HTML, "cf-mitigated": "challenge"})
    with HostileServer(lambda form: challenge) as server:
        result = cli_for(
            server.url,
            "add", "--service", "1", "--link", "https://x.example/p", "--quantity", "9",
            panel='retries = 1\ntimeout = "5s"\nretry_budget = "30s"',
        )  # fmt: skip
        sent = len(server.requests)
    assert result.exit_code == 1
    line = _one_line(result)
    assert line.startswith("smm-tracker: sim: add: HTTP 403: a bot check answered, not the panel")
    assert "outcome unknown" not in line and "check panels[0].url" not in line
    assert sent == 2


def test_doctor_on_a_web_page_points_at_the_url_key(cli_for):
    with HostileServer(lambda form: Reply(WELCOME, 200, HTML)) as server:
        result = cli_for(server.url, "doctor")
    assert result.exit_code == 1
    assert "this URL answers a web page, not the API — check panels[0].url" in result.output


def test_doctor_behind_a_cloudflare_challenge_says_so(cli_for, sim):
    sim.panel.inject("challenge", count=3, action="balance")
    result = cli_for(sim.url, "doctor")
    assert result.exit_code == 1
    assert "a bot check answered, not the panel" in result.output
    assert "ask the panel to let API calls from this server through" in result.output
    assert "check panels[0].url" not in result.output


def test_run_once_summary_names_every_job_that_failed(cli_for):
    url = f"http://127.0.0.1:{closed_port()}/api/v2"
    assert cli_for(url, "track", "1", "2").exit_code == 0
    result = cli_for(url, "run", "--once", "--all")
    assert result.exit_code == 1
    last = result.stdout.strip().splitlines()[-1]
    failed, _, held = last.partition("; refill round held: ")
    assert failed == (
        "sim: 0 checked, 0 changed, 0 refills asked, balance unknown; "
        "1 failed status call; failed jobs: status, services, balance"
    ), last
    # The refill round, held while the panel's calls fail, never ran: it was
    # named with the failed jobs. Now held, and why (refill_round_held's reason).
    since, _, actions = held.removeprefix("its calls have failed since ").partition(" (")
    assert datetime.fromisoformat(since).tzinfo is not None, last
    assert sorted(actions.removesuffix(")").split(", ")) == ["balance", "services", "status"]


# --- a panel's words never reach the terminal raw ------------------------------

# Sets the window title, clears the screen, turns text red, reverses what
# follows (U+202E) and goes back to the line's start; NUL and a bidi isolate.
EVIL = "Maintenance\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\u202eevil\rX\x00\u2066end"
RAW = {"\x1b", "\x07", "\r", "\u202e", "\x00", "\u2066"}
UTF16_KEY = "utf16-key-Qz8Lm3Vb"  # this key gets a UTF-16 answer to balance


def evil_panel(form: dict[str, str]) -> Reply:
    if form.get("action") == "balance" and form.get("key") == UTF16_KEY:
        # A UTF-16 body: every other byte a NUL, unreadable as UTF-8 JSON.
        return Reply(json.dumps({"balance": "1", "error": EVIL}).encode("utf-16"))
    if form.get("action") == "refill" and form.get("order") == "6":
        return json_reply({"refill": "\x1b[2J77\u202e"})  # accepted, with an odd ID
    return json_reply({"error": EVIL})


@pytest.fixture
def evil():
    with HostileServer(evil_panel) as server:
        yield server


def assert_shown_escaped(output: str) -> None:
    assert not set(output) & RAW, repr(output)
    assert "\\x1b]0;PWNED\\x07\\x1b[2J" in output, output


@pytest.mark.parametrize(
    "args",
    [
        ["services", "--refresh"],
        ["add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100"],
        ["refill", "5", "--force"],
        ["doctor"],
    ],
    ids=["services", "add", "refill", "doctor"],
)
def test_a_panels_escapes_in_an_error_are_shown_escaped(cli_for, evil, args):
    assert cli_for(evil.url, "track", "5").exit_code == 0
    result = cli_for(evil.url, *args)
    assert result.exit_code == 1, result.output
    assert_shown_escaped(result.output)
    if args[0] != "doctor":
        assert "\\u202eevil" in _one_line(result)


def test_a_refill_id_with_escapes_is_shown_escaped(cli_for, evil):
    # Not a usable refill ID (a whole number): the request may have been taken,
    # so it is Unknown, and the answer quoted is shown escaped.
    assert cli_for(evil.url, "track", "6").exit_code == 0
    result = cli_for(evil.url, "refill", "6", "--force")
    assert result.exit_code == 1, result.output
    assert 'without a usable refill ID: {"refill": "\\u001b[2J77\\u202e"}' in result.output
    assert not set(result.output) & RAW


def test_doctor_shows_a_utf16_answer_without_raw_nul_bytes(cli_for, evil, monkeypatch):
    monkeypatch.setenv("SIM_KEY", UTF16_KEY)
    result = cli_for(evil.url, "doctor")
    assert result.exit_code == 1, result.output
    assert "\x00" not in result.output and "\\x00" in result.output, repr(result.output)


def test_an_empty_redirect_names_the_url_and_where_it_points(cli_for):
    moved = Reply(b"", 301, {"Location": "https://new-panel.test/api/v2"})
    with HostileServer(lambda form: moved) as server:
        result = cli_for(server.url, "services", "--refresh")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"smm-tracker: sim: services: HTTP 301 from {server.url} "
        "(moved to https://new-panel.test/api/v2)"
    ), result.output


@pytest.mark.parametrize("command", [["cancel", "--yes", "6"], ["refill", "6", "--force"]])
def test_a_redirect_to_a_url_holding_the_key_is_shown_and_stored_without_it(
    cli_for, tmp_path, command
):
    import base64

    encoded = base64.b64encode(KEY.encode()).decode()
    moved = Reply(b"", 302, {"Location": f"https://panel.test/login?k={encoded}&key={KEY}"})
    with HostileServer(lambda form: moved) as server:
        assert cli_for(server.url, "track", "6").exit_code == 0
        result = cli_for(server.url, *command)
    assert result.exit_code == 1, result.output
    assert "moved to https://panel.test/login?k=" in result.output
    assert KEY not in result.output and encoded not in result.output, result.output
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("*.db*"))
    assert KEY.encode() not in stored and encoded.encode() not in stored


def test_a_currency_with_escapes_is_shown_escaped_in_the_summary_and_the_log(cli_for):
    def respond(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "12.50", "currency": "US\x1b]0;PWNED\x07D"})
        if form.get("action") == "status":
            return json_reply({"5": {"status": "Pending", "remains": "10"}})
        return json_reply([])

    with HostileServer(respond) as server:
        assert cli_for(server.url, "track", "5").exit_code == 0
        result = cli_for(server.url, "--log-format", "console", "run", "--once")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output, repr(result.output)
    last = result.stdout.strip().splitlines()[-1]
    assert last.endswith("balance 12.50 US\\x1b]0;PWNED\\x07D"), last
    assert "currency=US\\x1b]0;PWNED\\x07D job=balance:sim" in result.output


def test_the_reason_an_order_stopped_is_shown_escaped_when_it_resumes(cli_for, evil):
    assert cli_for(evil.url, "track", "7").exit_code == 0
    assert cli_for(evil.url, "untrack", "7", "--reason", "bad\nline\x1b[2J").exit_code == 0
    result = cli_for(evil.url, "track", "7")
    assert result.exit_code == 0, result.output
    assert "had stopped (untracked by you: bad\\nline\\x1b[2J)" in result.output, result.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_cancel_answers_are_stored_when_the_output_cannot_be_written(tmp_path):
    # The panel acted: what it said is kept even if stdout (a full disk, a
    # closed pipe) cannot take the lines.
    panel = SimulatedPanel(key=KEY, seed=3)
    server = PanelServer(panel).start()
    try:
        ids = [str(i) for i in panel.seed_orders(2, status="Pending")]
        (tmp_path / "tracker.toml").write_text(sim_config(server.url, panel="retries = 0"))
        with open("/dev/full", "w") as full:
            done = cli_process(
                tmp_path, ["cancel", "--yes", *ids], stdout=full, env={"SIM_KEY": KEY}
            )
    finally:
        server.stop()
    assert done.returncode == 1
    assert done.stderr == "smm-tracker: cannot write the output: No space left on device\n"
    conn = sqlite3.connect(tmp_path / "t.db")
    stored = conn.execute("SELECT order_id, result FROM cancels ORDER BY order_id").fetchall()
    conn.close()
    assert stored == [(int(i), "Accepted") for i in ids]


def test_orders_says_when_a_panels_polls_are_failing(cli_for, sim):
    # Every column "-" (or the last statuses seen) looked the same whether the
    # panel was never asked or is down: a note on stderr says which.
    (order_id,) = sim.panel.seed_orders(1)
    down = f"http://127.0.0.1:{closed_port()}/api/v2"
    assert cli_for(down, "track", str(order_id)).exit_code == 0
    assert cli_for(down, "run", "--once").exit_code == 1
    listed = cli_for(down, "orders")
    assert listed.exit_code == 0 and str(order_id) in listed.stdout
    # Every call failed, not the polls alone: said as balance says it.
    assert "(sim: its last call failed at 20" in listed.stderr
    assert "its statuses are the last it gave" in listed.stderr
    assert "last call failed" not in listed.stdout  # the rows alone (| wc -l)
    assert cli_for(sim.url, "run", "--once").exit_code == 0  # it answers again
    assert cli_for(sim.url, "orders").stderr == ""


def test_orders_names_where_to_read_why_polls_fail_when_doctor_cannot(cli_for, sim):
    # Only IDs the panel does not know, none it ever answered: every status
    # call refused, the poll failed, while doctor (a balance call) says ok.
    # The note sent the user to doctor alone, which had no word of it.
    assert cli_for(sim.url, "track", "123", "456").exit_code == 0
    ran = cli_for(sim.url, "run", "--once")
    assert ran.exit_code == 1 and "every order asked was refused" in ran.output
    assert cli_for(sim.url, "doctor").exit_code == 0
    listed = cli_for(sim.url, "orders")
    assert "(sim: polls have failed since 20" in listed.stderr
    assert "status_failed" in listed.stderr, listed.stderr


class MalformedServer:
    """A TCP server answering every request with the same raw bytes: no HTTP
    library would send them (a header line without a colon, a status line of
    its own), and the parser that refuses them quotes them in its error."""

    def __init__(self, raw: bytes):
        import threading

        self.raw = raw
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/v2"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(self.raw)
                except OSError:
                    pass

    def __enter__(self) -> MalformedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        # Woken first: closed alone, its thread stays in accept(), made again
        # after a signal on the number another test's listening socket takes
        # (tests/raw_server.py).
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(5)  # ended here, not in a later test


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX Bad Header " + KEY.encode() + b"\r\n\r\n{}",
        b"HTTP/1.1 200 " + KEY.encode() + b"\x00\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + KEY.encode() + b"\r\n{}",
    ],
    ids=["header line", "status line", "chunk header"],
)
@pytest.mark.parametrize("command", [["cancel", "--yes", "6"], ["refill", "6", "--force"]])
def test_the_key_in_bytes_the_http_parser_refused_is_shown_and_stored_without_it(
    cli_for, tmp_path, raw, command
):
    with MalformedServer(raw) as server:
        assert cli_for(server.url, "track", "6").exit_code == 0
        result = cli_for(server.url, *command)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert KEY not in result.output, result.output
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("*.db*"))
    assert KEY.encode() not in stored


@pytest.mark.parametrize("status", [409, 400, 422])
def test_an_add_answered_an_http_error_without_a_refusal_is_outcome_unknown(cli_for, status):
    # {"order": 5001} with HTTP 409: no refusal in it, an order ID: the panel
    # may have placed it. "HTTP 409: {'order': 5001}" read as a failure to
    # place, and the user placed it again.
    answer = json_reply({"order": 5001}, status)
    with HostileServer(lambda form: answer) as server:
        result = cli_for(
            server.url, "add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"
        )
        assert len(server.requests) == 1  # never sent twice
    assert result.exit_code == 1, result.output
    line = _one_line(result)
    assert "outcome unknown — check the panel before placing it again" in line
    assert f"HTTP {status}" in line


def test_balance_says_when_the_panel_no_longer_answers(cli_for, sim, monkeypatch):
    # The last balance read as today's while the key was refused: a note on
    # stderr says since when the panel has not answered.
    assert cli_for(sim.url, "run", "--once").exit_code == 0
    assert cli_for(sim.url, "balance").stderr == ""
    monkeypatch.setenv("SIM_KEY", "a-key-the-panel-refuses")
    assert cli_for(sim.url, "run", "--once").exit_code == 1
    shown = cli_for(sim.url, "balance")
    assert shown.exit_code == 0 and shown.stdout.startswith("sim: ")
    assert shown.stderr.startswith("(sim: the API key is refused since 20")
    assert shown.stderr.endswith(f"its balance is the last it gave; {KEY_FIX})\n")


def test_balance_says_its_calls_fail_before_the_panel_is_called_unreachable(cli_for):
    # walk16: every call failing, panel_unreachable not open yet (it opens
    # after schedule.unreachable_after): "no balance fetched yet (the daemon
    # checks it on its schedule)", and a balance fetched before, no note.
    down = f"http://127.0.0.1:{closed_port()}/api/v2"
    assert cli_for(down, "run", "--once").exit_code == 1
    shown = cli_for(down, "balance")
    assert shown.exit_code == 0 and shown.stdout == ""
    assert shown.stderr.startswith("sim: no balance fetched yet (its last call failed at 20")
    assert shown.stderr.endswith("; smm-tracker doctor says why)\n"), shown.stderr
    server = PanelServer(SimulatedPanel(key=KEY, seed=5)).start()
    try:
        assert cli_for(server.url, "run", "--once").exit_code == 0
        assert cli_for(server.url, "balance").stderr == ""  # an answer ends the run
    finally:
        server.stop()
    assert cli_for(server.url, "run", "--once").exit_code == 1
    shown = cli_for(server.url, "balance")
    assert shown.exit_code == 0 and shown.stdout.startswith("sim: ")
    assert shown.stderr.startswith("(sim: its last call failed at 20"), shown.stderr
    assert shown.stderr.endswith(
        ": its balance is the last it gave; smm-tracker doctor says why)\n"
    ), shown.stderr


def test_balance_never_fetched_for_a_refused_key_says_why(cli_for, sim, monkeypatch):
    # "no balance fetched yet (the daemon checks it on its schedule)": the
    # key was refused from the first call, so no schedule would ever fetch it.
    monkeypatch.setenv("SIM_KEY", "a-key-the-panel-refuses")
    assert cli_for(sim.url, "run", "--once").exit_code == 1
    shown = cli_for(sim.url, "balance")
    assert shown.exit_code == 0 and shown.stdout == ""
    assert shown.stderr.startswith("sim: no balance fetched yet (the API key is refused since 20")
    assert shown.stderr.endswith(f"; {KEY_FIX})\n")
    assert "schedule" not in shown.stderr


def test_a_refusing_or_timed_out_page_is_not_blamed_on_the_url_alone():
    # A WAF's 403 or a password prompt's 401 at the right URL, and a 408 (the
    # server tired of waiting), were all "check panels[0].url".
    from tracker.panel.failures import describe_status
    from tracker.panel.fixes import web_page_hint

    page = b"<html><head><title>Access denied</title></head></html>"
    for code in (401, 403):
        hint = web_page_hint(describe_status(code, page, "https://p.example/api"), code, 0)
        assert hint is not None and "refusing access" in hint, hint
        assert "panels[0].url" in hint and "lets this server in" in hint
    assert web_page_hint(describe_status(408, page, "https://p.example/api"), 408, 0) is None
    said = describe_status(404, page, "https://p.example/api")
    assert (
        web_page_hint(said, 404, 0)
        == "this URL answers a web page, not the API — check panels[0].url"
    )

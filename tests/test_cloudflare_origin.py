"""Cloudflare's own 52x for an origin it never reached: the request was not sent.

A loopback panel answers 521, 522, 523, 525 or 526 with Cloudflare's marks
(a ``cf-ray`` header, ``Server: cloudflare``): ``add``, ``refill`` and
``cancel`` are retried within the call's budget like a refused connection,
and fail as not sent. Guards: 520, 524 and an unmarked 52x stay "outcome
unknown", sent once.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hostile import HostileServer, Reply, json_reply
from simconfig import sim_config

from tracker.cli.main import main
from tracker.config.model import PanelConfig, Secret
from tracker.errors import OutcomeUnknownError, TransientError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

KEY = "cf-key-Hn4Vb8Qx2Lm6"
PAGE = b"<html><head><title>panel.example | Cloudflare</title></head><body>Error</body></html>"
HTML = {"Content-Type": "text/html; charset=UTF-8"}
RAY = {**HTML, "cf-ray": "8f1c2a3b4d5e6f70-FRA"}
SERVER = {**HTML, "Server": "cloudflare"}
ORDER = NewOrder(1, "https://x.example/p", 100, None, None, {})
UNREACHED = {
    521: "the origin refused the connection",
    522: "the origin did not answer",
    523: "the origin is unreachable",
    525: "the TLS handshake with the origin failed",
    526: "the origin's certificate is invalid",
}


def answers(*replies: Reply):
    """Answer with ``replies`` in turn, the last one for ever."""
    queue = list(replies)
    return lambda form: queue.pop(0) if len(queue) > 1 else queue[0]


def client(url: str, retries: int = 2) -> PanelClient:
    config = PanelConfig(name="cf", url=url, key=Secret(KEY), timeout=5.0, retries=retries)
    return PanelClient(config, sleep=lambda _seconds: None)


@pytest.mark.parametrize("code", sorted(UNREACHED))
@pytest.mark.parametrize("marks", [RAY, SERVER], ids=["cf-ray", "server"])
def test_an_add_cloudflare_never_delivered_is_sent_again_and_placed_once(code, marks):
    with HostileServer(answers(Reply(PAGE, code, marks), json_reply({"order": 77}))) as server:
        panel = client(server.url)
        assert panel.add(ORDER) == 77
        panel.close()
        assert [form["action"] for form in server.requests] == ["add", "add"]


@pytest.mark.parametrize("code", sorted(UNREACHED))
def test_an_add_cloudflare_never_delivers_fails_as_not_placed(code):
    with HostileServer(answers(Reply(PAGE, code, RAY))) as server:
        panel = client(server.url)
        with pytest.raises(TransientError) as raised:
            panel.add(ORDER)
        panel.close()
        sent = len(server.requests)
    assert not isinstance(raised.value, OutcomeUnknownError)
    assert raised.value.detail == (
        f"panel unreachable behind Cloudflare (HTTP {code}: {UNREACHED[code]}); no order placed"
    )
    assert sent == 3  # the first try and its 2 retries, as for a refused connection


def test_a_refill_behind_an_unreached_origin_is_sent_again():
    with HostileServer(answers(Reply(PAGE, 521, SERVER), json_reply({"refill": "9"}))) as server:
        panel = client(server.url)
        assert panel.refill(5).refill_id == "9"
        panel.close()
        assert len(server.requests) == 2


def test_a_cancel_behind_an_unreached_origin_is_sent_again():
    canceled = json_reply([{"order": 5, "cancel": 1}])
    with HostileServer(answers(Reply(PAGE, 523, RAY), canceled)) as server:
        panel = client(server.url)
        assert [result.order_id for result in panel.cancel([5])] == [5]
        panel.close()
        assert len(server.requests) == 2


def test_a_refill_that_never_got_through_is_no_outcome_unknown():
    with HostileServer(answers(Reply(PAGE, 526, SERVER))) as server:
        panel = client(server.url, retries=1)
        with pytest.raises(TransientError) as raised:
            panel.refill(5)
        panel.close()
    assert not isinstance(raised.value, OutcomeUnknownError)
    assert raised.value.detail == (
        "panel unreachable behind Cloudflare (HTTP 526: the origin's certificate is invalid)"
    )


def test_a_read_behind_an_unreached_origin_is_retried_and_named():
    with HostileServer(answers(Reply(PAGE, 522, RAY))) as server:
        panel = client(server.url)
        with pytest.raises(TransientError) as raised:
            panel.balance()
        panel.close()
        sent = len(server.requests)
    assert sent == 3
    assert (
        raised.value.detail
        == "panel unreachable behind Cloudflare (HTTP 522: the origin did not answer)"
    )


@pytest.mark.parametrize(
    ("code", "marks"),
    [(524, RAY), (520, RAY), (524, SERVER), (520, SERVER), (522, HTML), (521, HTML), (526, HTML)],
    ids=["524-ray", "520-ray", "524-server", "520-server", "522-bare", "521-bare", "526-bare"],
)
def test_a_52x_that_may_have_reached_the_panel_stays_outcome_unknown(code, marks):
    # 524: Cloudflare connected, then the origin timed out (it may have acted);
    # 520: the origin answered something Cloudflare could not read; a 52x
    # without Cloudflare's marks is the panel's own, proving nothing.
    with HostileServer(answers(Reply(PAGE, code, marks))) as server:
        panel = client(server.url)
        with pytest.raises(OutcomeUnknownError, match=f"HTTP {code}"):
            panel.add(ORDER)
        panel.close()
        assert len(server.requests) == 1


# --- through the add command -----------------------------------------------------


@pytest.fixture
def cli_for(tmp_path, monkeypatch, quick_backoff):
    """Return invoke(url, *args): run the CLI with a config whose panel is at
    url (its retries after a 10 ms backoff, not 1-2 s: what is sent, not the wait)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)

    def invoke(url: str, *args: str):
        panel = 'retries = 1\ntimeout = "5s"\nretry_budget = "30s"'
        (tmp_path / "tracker.toml").write_text(sim_config(url, panel=panel))
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


ADD = ("add", "--service", "1", "--link", "https://x.example/p", "--quantity", "100")


def _lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("smm-tracker:")]


def test_add_behind_an_unreached_origin_places_nothing_and_frees_its_key(cli_for):
    with HostileServer(answers(Reply(PAGE, 522, RAY))) as server:
        result = cli_for(server.url, *ADD, "--idempotency-key", "row-7")
        sent = len(server.requests)
    assert result.exit_code == 1, result.output
    assert _lines(result) == [
        "smm-tracker: sim: add: panel unreachable behind Cloudflare "
        "(HTTP 522: the origin did not answer); no order placed; "
        "idempotency key 'row-7' given back: the same key may be used again"
    ]
    assert sent == 2  # retried, as a refused connection is
    listed = cli_for(server.url, "orders", "--json")
    assert json.loads(listed.stdout) == []
    # Nothing placed: the key is free, and the same add may run again.
    with HostileServer(answers(json_reply({"order": 78}))) as server:
        again = cli_for(server.url, *ADD, "--idempotency-key", "row-7")
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "78"


def test_add_behind_cloudflare_timing_out_after_connecting_stays_unknown(cli_for):
    with HostileServer(answers(Reply(PAGE, 524, SERVER))) as server:
        result = cli_for(server.url, *ADD)
        sent = len(server.requests)
    assert result.exit_code == 1
    (line,) = _lines(result)
    assert line.startswith("smm-tracker: sim: add: outcome unknown — check the panel")
    assert line.endswith("(HTTP 524: answered an HTML page (panel.example | Cloudflare))")
    assert "panel unreachable" not in line and "no order placed" not in line
    assert sent == 1


def test_cancel_behind_an_unreached_origin_is_not_sent_not_unknown(cli_for):
    with HostileServer(answers(Reply(PAGE, 521, SERVER))) as server:
        assert cli_for(server.url, "track", "5").exit_code == 0
        result = cli_for(server.url, "cancel", "5")
        sent = len(server.requests)
    assert result.exit_code == 1
    assert result.stdout == (
        "#5  not sent: sim: cancel: panel unreachable behind Cloudflare "
        "(HTTP 521: the origin refused the connection) - try again later\n"
    )
    assert sent == 2  # retried once (retries = 1), as a refused connection

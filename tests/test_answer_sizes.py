"""A request the server in front of the panel refuses for its size: 413
(its body: an add with many comments), 414 (its URL), 431 (its headers),
411 (its length). Through the real CLI against a scripted panel on loopback.

Not sent (tests/test_answer_pages.py), and what the user is told to do is
about the request, never the URL: `add`, `cancel` and `doctor` said "this
URL answers a web page, not the API — check panels[0].url" for the page,
and nothing (add) or "try again later" (cancel) for a JSON or text one:
the same request gets the same answer.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "hostile-key-AnswerSizes41"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
NGINX = "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"  # noqa: E501
# nginx's client_max_body_size, made small: a body past it is answered 413
# before PHP ever reads it.
LIMIT = 2048
TOO_LARGE = "the request is too large for the server in front of the panel"
WORDS = {
    411: "the server in front of the panel refused the request for its length",
    413: TOO_LARGE,
    414: "the request's URL is too long for the server in front of the panel",
    431: "the request's headers are too large for the server in front of the panel",
}
TITLES = {
    411: "411 Length Required",
    413: "413 Request Entity Too Large",
    414: "414 Request-URI Too Large",
    431: "431 Request Header Fields Too Large",
}


def page(code: int) -> Reply:
    return Reply(NGINX.format(TITLES[code]).encode(), code, {"Content-Type": "text/html"})


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli) with order 6 tracked; a request whose
    form is past LIMIT bytes is answered nginx's 413 page, and
    ``replies[action]`` scripts the answer to an action."""
    replies: dict[str, Any] = {"balance": json_reply({"balance": "10", "currency": "USD"})}
    placed = count(6)

    def respond(form: dict[str, str]) -> Reply:
        if sum(len(k) + len(v) + 2 for k, v in form.items()) > LIMIT:
            return page(413)
        action = form.get("action", "")
        if action in replies:
            return replies[action]
        if action == "add":
            return json_reply({"order": next(placed)})
        return json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 1')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    assert cli(*ADD).exit_code == 0
    server.requests.clear()
    yield server, replies, cli
    server.stop()


def _said(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert len(lines) == 1, result.output
    return lines[0]


def test_an_add_with_too_many_comments_is_told_to_send_fewer_not_to_check_the_url(panel):
    server, _replies, cli = panel
    comments = [f"Great post, love it! #{n}" for n in range(200)]
    added = cli(*ADD[:5], *(arg for c in comments for arg in ("--comments", c)))
    assert added.exit_code == 1
    said = _said(added)
    assert said.startswith("smm-tracker: sim: add: HTTP 413: "), said
    assert said.endswith(f"; no order placed; {TOO_LARGE}: send fewer or shorter comments"), said
    assert "panels[0].url" not in said
    assert len(server.requests) == 1  # the same request gets the same page: not sent again
    # The same order with fewer comments passes the server's limit.
    placed = cli(*ADD[:5], *(arg for c in comments[:20] for arg in ("--comments", c)))
    assert placed.exit_code == 0 and placed.stdout == "7\n", placed.output


@pytest.mark.parametrize("code", sorted(WORDS))
def test_a_size_refusal_to_add_and_cancel_names_the_request_not_the_url(panel, code):
    _server, replies, cli = panel
    replies.update(dict.fromkeys(("add", "cancel"), page(code)))
    said = _said(cli(*ADD))
    assert said.startswith(f"smm-tracker: sim: add: HTTP {code}: "), said
    assert said.endswith(f"; no order placed; {WORDS[code]}"), said
    line = cli("cancel", "--yes", "6").stdout.splitlines()[0]
    assert line.startswith(f"#6  not sent: sim: cancel: HTTP {code}: "), line
    assert line.endswith(f" - {WORDS[code]}"), line
    assert "panels[0].url" not in said + line and "try again later" not in line


@pytest.mark.parametrize(
    "reply",
    [
        json_reply({"detail": "Request Entity Too Large"}, 413),
        Reply(b"Request Entity Too Large", 413, {"Content-Type": "text/plain"}),
        Reply(b"", 413, {}),
    ],
    ids=["json", "text", "empty"],
)
def test_a_413_without_a_page_gets_the_same_words(panel, reply):
    _server, replies, cli = panel
    replies.update(dict.fromkeys(("add", "cancel"), reply))
    said = _said(cli(*ADD))
    assert said.endswith(f"; no order placed; {TOO_LARGE}"), said
    line = cli("cancel", "--yes", "6").stdout.splitlines()[0]
    assert line.endswith(f" - {TOO_LARGE}"), line


def test_doctor_names_the_request_not_the_url(panel):
    _server, replies, cli = panel
    replies["balance"] = page(431)
    result = cli("doctor")
    assert result.exit_code == 1
    assert (
        f"HTTP 431: answered an HTML page (431 Request Header Fields Too Large); {WORDS[431]}"
        in (result.output)
    ), result.output
    assert "panels[0].url" not in result.output


def test_a_413_whose_json_names_an_order_stays_unknown_without_a_size_hint(panel):
    # Its outcome unknown (the order may exist): "the request is too large"
    # beside "check the panel" would say two things at once.
    _server, replies, cli = panel
    replies["add"] = json_reply({"order": 9}, 413)
    said = _said(cli(*ADD))
    assert said.startswith("smm-tracker: sim: add: outcome unknown"), said
    assert "too large for the server" not in said and "panels[0].url" not in said, said

"""`add`, `refill` and `cancel` against a panel URL whose path is not
/api/v2 (a home page pasted, `/api`, `/api/v3`) answering a web page or no
API: their fix says where an API v2 URL most often ends, as `doctor`'s does
(tests/test_doctor_api_path.py).

polish200: only `doctor` said it; the three commands said `check
panels[0].url` and nothing to check it against. Through the real CLI
in-process, against a scripted server on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

KEY = "sim-key-PathHint4Vw"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
ENDS = " (an API v2 URL most often ends in /api/v2, as the panel's API page gives it)"
PAGE = Reply(  # a web server's own 404 page (a 200 page is "outcome unknown" to refill)
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head></html>",
    404,
    {"Content-Type": "text/html; charset=UTF-8"},
)
WEB_PAGE = "this URL answers a web page, not the API — check panels[0].url"
NO_API = "no API at this URL's path — check panels[0].url"
CASES = [(PAGE, WEB_PAGE), (json_reply({"message": "Not Found"}, 404), NO_API)]


@pytest.fixture
def server():
    replies: dict[str, Any] = {}

    def respond(form: dict[str, str]) -> Reply:
        return replies.get(form.get("action", ""), json_reply({"error": "Incorrect request"}))

    served = HostileServer(respond).start()
    served.replies = replies  # type: ignore[attr-defined]
    yield served
    served.stop()


def _lines(server, tmp_path, monkeypatch, path: str, reply: Reply) -> list[str]:
    """Return add's, refill's and cancel's lines at the server's base + path."""
    url = server.url.removesuffix("/api/v2") + path
    cli = cli_in(tmp_path, monkeypatch, sim_config(url), env={"SIM_KEY": KEY})
    assert cli("track", "5", "6").exit_code == 0
    server.replies.update(dict.fromkeys(("add", "refill", "cancel"), reply))
    added, refill, cancel = cli(*ADD), cli("refill", "5"), cli("cancel", "--yes", "6")
    assert added.exit_code == refill.exit_code == cancel.exit_code == 1
    lines = [added.stderr.splitlines()[-1], refill.stderr.splitlines()[-1]]
    lines.append(cancel.stdout.splitlines()[0])
    assert all(KEY not in line for line in lines)
    return lines


@pytest.mark.parametrize("path", ["", "/api", "/api/v3"])
@pytest.mark.parametrize(("reply", "fix"), CASES, ids=["web-page", "404"])
def test_a_url_off_api_v2_says_where_an_api_url_ends(
    server, tmp_path, monkeypatch, path, reply, fix
):
    added, refill, cancel = _lines(server, tmp_path, monkeypatch, path, reply)
    assert added.startswith("smm-tracker: sim: add: ") and f"; {fix}{ENDS}" in added, added
    assert refill.startswith("smm-tracker: order 5: refill not sent") and refill.endswith(
        f"; {fix}{ENDS}"
    ), refill
    assert cancel.startswith("#6  not sent: ") and cancel.endswith(f" - {fix}{ENDS}"), cancel


@pytest.mark.parametrize(("reply", "fix"), CASES, ids=["web-page", "404"])
def test_an_api_v2_url_says_the_fix_alone(server, tmp_path, monkeypatch, reply, fix):
    for line in _lines(server, tmp_path, monkeypatch, "/api/v2/", reply):
        assert fix in line and "/api/v2, as" not in line, line


HOME = Reply(  # a web site's home page pasted as the panel URL: 200, HTML
    b"<!DOCTYPE html><html><head><title>Best SMM Panel</title></head><body></body></html>",
    200,
    {"Content-Type": "text/html; charset=UTF-8"},
)


@pytest.mark.parametrize("path", ["", "/api/v2"])
def test_a_200_web_page_says_the_url_fix_and_the_outcome_unknown(
    server, tmp_path, monkeypatch, path
):
    """polish201: add said `check panels[0].url` for a 200 web page, refill and
    cancel only "outcome unknown". The page may be the panel script's own
    (a PHP error printed after it acted): the outcome stays unknown, with
    the URL's fix as add says it."""
    added, refill, cancel = _lines(server, tmp_path, monkeypatch, path, HOME)
    fix = f"{WEB_PAGE}{ENDS if not path else ''}"
    assert "outcome unknown" in added and added.endswith(f"; {fix}"), added
    assert refill.startswith("smm-tracker: order 5: the refill request may have reached"), refill
    assert "recorded as sent" in refill and refill.endswith(f"; {fix}"), refill
    assert cancel.startswith("#6  unknown: ") and cancel.endswith(f" - {fix}"), cancel


def test_a_200_web_page_is_said_to_have_answered_not_lost(server, tmp_path, monkeypatch):
    """polish204: refill said its answer "was lost" for a 200 web page: an
    answer came, a page. It says what came; the outcome stays unknown, with
    the URL's fix. No line says lost for it (cancel's neither)."""
    _, refill, cancel = _lines(server, tmp_path, monkeypatch, "", HOME)
    assert refill.startswith(
        "smm-tracker: order 5: the refill request may have reached the panel but it answered a "
        "web page, not the API's JSON (outcome unknown"
    ), refill
    assert refill.endswith(f"; {WEB_PAGE}{ENDS}"), refill
    assert "lost" not in refill and "lost" not in cancel, (refill, cancel)

"""A 3xx or 4xx answer holding none of the panel's JSON (a login page after a
redirect, a WAF's 403, nginx's 404/405/413 page) to `add`, `refill` and
`cancel`: through the real CLI against a scripted panel on loopback.

The three agree, per status class, on whether the panel's script may have
run: a redirect, or a 4xx a script may set after acting (400, 409, 422...),
is "outcome unknown" (the `--idempotency-key` kept, the refill and the
cancel stored Unknown); a code a web server answers before any script runs
(401, 403, 404, 405, 413...) is not sent (the key given back, nothing
stored). `add` used to give its key back for both, while `refill` and
`cancel` stored both as Unknown. A 408 is sent again.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in, sim_config

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is retried, not the wait

KEY = "hostile-key-AnswerPages93"
ADD = ["add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100"]
HTML = {"Content-Type": "text/html"}
ACTS = ("add", "refill", "cancel")


def page(code: int, title: str, **headers: str) -> Reply:
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return Reply(body.encode(), code, {**HTML, **headers})


LOGIN = page(302, "Sign in", Location="https://panel.test/login")
MAY_HAVE_RUN = [
    LOGIN,
    Reply(b"", 301, {"Location": "https://panel.test/api/v2"}),
    page(303, "See Other", Location="https://panel.test/orders"),
    page(400, "400 Bad Request"),
    page(409, "Conflict"),
    Reply(b"Unprocessable", 422, {"Content-Type": "text/plain"}),
]
NEVER_RAN = [
    page(401, "401 Authorization Required", **{"WWW-Authenticate": 'Basic realm="api"'}),
    page(403, "403 Forbidden"),
    Reply(b"Access denied by the firewall", 403, {"Content-Type": "text/plain"}),
    page(404, "404 Not Found"),
    page(405, "405 Not Allowed"),
    page(411, "411 Length Required"),
    page(413, "413 Request Entity Too Large"),
    page(414, "414 Request-URI Too Large"),
    page(431, "431 Request Header Fields Too Large"),
]
# A framework's JSON for a request it refuses before any panel code runs:
# its auth middleware (Laravel), its router's method check (FastAPI).
FRAMEWORK_JSON = [
    json_reply({"message": "Unauthenticated."}, 401),
    json_reply({"message": "This action is unauthorized."}, 403),
    json_reply({"detail": "Method Not Allowed"}, 405),
    json_reply({"message": "The POST method is not supported for route api/v2."}, 405),
    json_reply({"detail": "Request Entity Too Large"}, 413),
]


@pytest.fixture
def panel(tmp_path, monkeypatch):
    """Return (server, replies, cli) with orders 5 and 6 tracked (placed by
    `add`); ``replies[action]`` then scripts the answer to an action."""
    placed = iter([5, 6])
    replies: dict[str, Any] = {"balance": json_reply({"balance": "10", "currency": "USD"})}

    def respond(form: dict[str, str]) -> Reply:
        action = form.get("action", "")
        if action in replies:
            reply = replies[action]
            return reply.pop(0) if isinstance(reply, list) else reply
        if action == "add":
            return json_reply({"order": next(placed)})
        return json_reply({"error": "Incorrect request"})

    server = HostileServer(respond).start()
    config = sim_config(server.url, panel='timeout = "5s"\nretries = 1')
    cli = cli_in(tmp_path, monkeypatch, config, env={"SIM_KEY": KEY})
    for _ in range(2):
        assert cli(*ADD).exit_code == 0
    server.requests.clear()
    yield server, replies, cli
    server.stop()


def _rows(tmp_path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return list(db.execute(sql))


def _said(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("smm-tracker:")]
    assert len(lines) == 1, result.output
    return lines[0]


def _sent(server, action: str) -> int:
    return sum(1 for form in server.requests if form.get("action") == action)


@pytest.mark.parametrize("reply", MAY_HAVE_RUN, ids=lambda r: str(r.status))
def test_a_page_after_which_the_script_may_have_run_is_unknown_to_all_three(panel, tmp_path, reply):
    server, replies, cli = panel
    replies.update(dict.fromkeys(ACTS, reply))
    added = cli(*ADD, "--idempotency-key", "row-1")
    assert added.exit_code == 1
    said = _said(added)
    assert said.startswith("smm-tracker: sim: add: outcome unknown — check the panel"), said
    assert f"HTTP {reply.status}" in said
    again = cli(*ADD, "--idempotency-key", "row-1")  # the key kept: nothing sent again
    assert again.exit_code == 1 and "its outcome is unknown" in _said(again)
    refill = cli("refill", "5")
    assert refill.exit_code == 1
    assert "may have reached the panel" in _said(refill)
    assert _rows(tmp_path, "SELECT order_id, status FROM refills") == [(5, "Unknown")]
    cancel = cli("cancel", "--yes", "6")
    assert cancel.exit_code == 1
    assert cancel.stdout.startswith("#6  unknown: ")
    assert "outcome unknown — check the panel before canceling again" in cancel.stdout
    assert _rows(tmp_path, "SELECT order_id, result FROM cancels") == [(6, "Unknown")]
    assert [_sent(server, action) for action in ACTS] == [1, 1, 1]  # each sent once
    assert _rows(tmp_path, "SELECT order_id FROM orders ORDER BY 1") == [(5,), (6,)]


@pytest.mark.parametrize(
    "reply", NEVER_RAN + FRAMEWORK_JSON, ids=lambda r: f"{r.status}-{r.body[:12]!r}"
)
def test_a_page_the_web_server_answers_before_the_script_is_not_sent_by_all_three(
    panel, tmp_path, reply
):
    server, replies, cli = panel
    replies.update(dict.fromkeys(ACTS, reply))
    added = cli(*ADD, "--idempotency-key", "row-1")
    assert added.exit_code == 1
    said = _said(added)
    assert said.startswith(f"smm-tracker: sim: add: HTTP {reply.status}"), said
    assert "; no order placed" in said and "outcome unknown" not in said
    again = cli(*ADD, "--idempotency-key", "row-1")  # the key given back: sent again
    assert again.exit_code == 1 and "; no order placed" in _said(again)
    refill = cli("refill", "5")
    assert refill.exit_code == 1
    assert _said(refill).startswith(
        f"smm-tracker: order 5: refill not sent, nothing recorded: sim: refill: HTTP {reply.status}"
    )
    cancel = cli("cancel", "--yes", "6")
    assert cancel.exit_code == 1
    assert cancel.stdout.startswith(f"#6  not sent: sim: cancel: HTTP {reply.status}")
    assert "1 of 1 cancel not sent" in cancel.stderr
    assert _rows(tmp_path, "SELECT * FROM refills") == []
    assert _rows(tmp_path, "SELECT * FROM cancels") == []
    # Never retried within a call: the same request gets the same page.
    assert [_sent(server, action) for action in ACTS] == [2, 1, 1]
    assert "Traceback" not in added.output + refill.output + cancel.output


def test_a_408_is_sent_again_and_the_order_placed_once(panel, tmp_path):
    server, replies, cli = panel
    replies["add"] = [page(408, "408 Request Time-out"), json_reply({"order": 7})]
    added = cli(*ADD, "--idempotency-key", "row-1")
    assert added.exit_code == 0, added.output
    assert added.stdout == "7\n"
    assert _sent(server, "add") == 2
    assert _rows(tmp_path, "SELECT order_id FROM orders ORDER BY 1") == [(5,), (6,), (7,)]


def test_a_408_to_every_try_places_no_order_and_gives_the_key_back(panel, tmp_path):
    server, replies, cli = panel
    replies["add"] = page(408, "408 Request Time-out")
    added = cli(*ADD, "--idempotency-key", "row-1")
    assert added.exit_code == 1
    assert _said(added).startswith("smm-tracker: sim: add: HTTP 408: ")
    assert "; no order placed" in _said(added)
    assert _sent(server, "add") == 2  # retries = 1
    replies["add"] = json_reply({"order": 8})
    assert cli(*ADD, "--idempotency-key", "row-1").stdout == "8\n"


def test_a_move_of_the_panels_own_url_to_https_is_not_sent_and_names_the_fix(panel, tmp_path):
    """nginx's `return 301 https://$host$request_uri` for a URL configured with
    http://: answered before any script ran, so `add` gives its key back (it
    was an outcome unknown, the key held until `--not-placed`)."""
    server, replies, cli = panel
    moved = Reply(b"", 301, {"Location": server.url.replace("http://", "https://", 1)})
    replies.update(dict.fromkeys(ACTS, moved))
    added = cli(*ADD, "--idempotency-key", "row-1")
    assert added.exit_code == 1
    said = _said(added)
    assert "set the panel's url to https://" in said and said.endswith(
        "; no order placed; idempotency key 'row-1' given back: the same key may be used again"
    ), said
    again = cli(*ADD, "--idempotency-key", "row-1")  # the key given back: sent again
    assert "outcome unknown" not in _said(again)
    refill = cli("refill", "5")
    assert _said(refill).startswith("smm-tracker: order 5: refill not sent, nothing recorded")
    assert _rows(tmp_path, "SELECT * FROM refills") == []
    assert [_sent(server, action) for action in ACTS[:2]] == [2, 1]
    # Anywhere else on https (a login page), or another path: may have run.
    replies["add"] = Reply(
        b"", 302, {"Location": server.url.replace("http://", "https://", 1) + "x"}
    )
    assert "outcome unknown" in _said(cli(*ADD, "--idempotency-key", "row-2"))


@pytest.mark.parametrize(
    "where",
    ["https://{host}:{port}:99999/api/v2", "https://[::1/api/v2", "https://{host}/v2\x1b[31m"],
)
def test_a_redirect_to_a_location_no_parser_reads_is_judged_as_a_redirect(panel, where):
    # httpx read the Location for the redirect it does not follow and raised:
    # "connection to ... broken: invalid literal for int()", a read retried.
    server, replies, cli = panel
    host, port = server.url.split("//")[1].split("/")[0].split(":")
    moved = Reply(b"", 302, {"Location": where.format(host=host, port=port)})
    replies.update(dict.fromkeys(("add", "services"), moved))
    said = _said(cli(*ADD))
    assert said.startswith("smm-tracker: sim: add: outcome unknown"), said
    assert "HTTP 302 from " in said and "broken" not in said, said
    services = cli("services", "--refresh")
    assert services.exit_code != 0 and "HTTP 302 from " in services.output, services.output
    assert "broken" not in services.output
    assert [_sent(server, action) for action in ("add", "services")] == [1, 1]  # none retried


# A framework's JSON for a path it does not serve (Laravel, FastAPI, Express):
# answered by the router, before any panel code ran.
NOT_FOUND_JSON = [
    json_reply({"message": "Not Found"}, 404),
    json_reply({"message": "The route api/v3 could not be found."}, 404),
    json_reply({"detail": "Not Found"}, 404),
    json_reply({"message": "Oops", "exception": "NotFoundHttpException"}, 404),
]


@pytest.mark.parametrize("reply", NOT_FOUND_JSON, ids=lambda r: r.body[:30].decode())
def test_a_404_with_a_frameworks_json_is_not_sent_by_all_three(panel, tmp_path, reply):
    # It was "outcome unknown": the key kept Sending/Unknown, a refill and a
    # cancel stored Unknown, the user sent to check the panel by hand.
    server, replies, cli = panel
    replies.update(dict.fromkeys(ACTS, reply))
    added = cli(*ADD, "--idempotency-key", "row-1")
    assert added.exit_code == 1
    said = _said(added)
    assert said.startswith(f"smm-tracker: sim: add: HTTP 404 from {server.url}: "), said
    assert "; no order placed" in said and "outcome unknown" not in said
    fix = "; no API at this URL's path — check panels[0].url"
    assert said.endswith(
        f"{fix}; idempotency key 'row-1' given back: the same key may be used again"
    )
    again = cli(*ADD, "--idempotency-key", "row-1")  # the key given back: sent again
    assert again.exit_code == 1 and "; no order placed" in _said(again)
    refill = cli("refill", "5")
    assert _said(refill).startswith("smm-tracker: order 5: refill not sent, nothing recorded")
    cancel = cli("cancel", "--yes", "6")
    assert cancel.exit_code == 1
    assert cancel.stdout.startswith("#6  not sent: sim: cancel: HTTP 404 from "), cancel.stdout
    assert _rows(tmp_path, "SELECT * FROM refills") == []
    assert _rows(tmp_path, "SELECT * FROM cancels") == []
    assert _rows(tmp_path, "SELECT status FROM idempotency_keys") == []
    assert [_sent(server, action) for action in ACTS] == [2, 1, 1]
    # The panel's own refusal with a 404 stays a refusal; an order named in
    # a 404 ({"order": 7}) may have been placed: outcome unknown, the key kept.
    replies["add"] = json_reply({"error": "Service not found"}, 404)
    refused = _said(cli(*ADD, "--idempotency-key", "row-2"))
    assert "Service not found" in refused and "outcome unknown" not in refused, refused
    replies["add"] = json_reply({"order": 7, "message": "Not Found"}, 404)
    unknown = _said(cli(*ADD, "--idempotency-key", "row-3"))
    assert unknown.startswith("smm-tracker: sim: add: outcome unknown"), unknown
    assert _rows(tmp_path, "SELECT idempotency_key, status FROM idempotency_keys") == [
        ("row-3", "Unknown")
    ]


@pytest.mark.parametrize(
    "reply", [page(404, "404 Not Found"), json_reply({"message": "Not Found"}, 404)]
)
def test_cancel_after_a_404_names_the_url_to_fix_not_a_wait(panel, reply):
    # "#6  not sent: ... HTTP 404 ... - try again later": a 404 does not go
    # away by waiting; add's line names panels[0].url.
    server, replies, cli = panel
    replies["cancel"] = reply
    cancel = cli("cancel", "--yes", "6")
    assert cancel.exit_code == 1
    line = cancel.stdout.splitlines()[0]
    assert line.startswith(f"#6  not sent: sim: cancel: HTTP 404 from {server.url}"), line
    assert "try again later" not in line and "check panels[0].url" in line, line
    replies["cancel"] = page(408, "408 Request Time-out")  # a slow server: waiting may cure
    assert "try again later" in cli("cancel", "--yes", "6").stdout


def test_a_move_to_https_on_another_port_names_that_url(panel, tmp_path):
    # "set the panel's url to https://": the port of the URL it moved to was
    # left out, and the panel's url set so still failed (https on port 443).
    server, replies, cli = panel
    host = server.url.split("//")[1].split("/")[0].split(":")[0]
    moved = Reply(b"", 301, {"Location": f"https://{host}:8443/api/v2"})
    replies.update(dict.fromkeys(ACTS, moved))
    said = _said(cli(*ADD, "--idempotency-key", "row-1"))
    assert f"set the panel's url to https://{host}:8443/api/v2; no order placed" in said, said
    cancel = cli("cancel", "--yes", "6")
    assert f"set the panel's url to https://{host}:8443/api/v2" in cancel.stdout
    assert "try again later" not in cancel.stdout


@pytest.mark.parametrize(
    "reply",
    [NOT_FOUND_JSON[0], *FRAMEWORK_JSON[:3], json_reply({"order": 7}, 409)],
    ids=lambda r: f"{r.status}-{r.body[:12]!r}",
)
def test_a_read_answered_json_without_an_error_quotes_it_as_written(panel, reply):
    # "services: HTTP 404: {'message': 'Not Found'}": a Python dict's repr,
    # and no URL named for a 404 or 405, where a 404 page names it.
    server, replies, cli = panel
    replies["services"] = reply
    result = cli("services", "--refresh")
    assert result.exit_code == 1
    where = f" from {server.url}" if reply.status in (404, 405) else ""
    said = f"smm-tracker: sim: services: HTTP {reply.status}{where}: {reply.body.decode()}"
    assert _said(result) == said, result.output
    assert _sent(server, "services") == 1  # not retried: the same request, the same answer


@pytest.mark.parametrize(
    "reply",
    [
        *FRAMEWORK_JSON[:2],
        Reply(b"Access denied by the firewall", 403, {"Content-Type": "text/plain"}),
    ],
    ids=lambda r: f"{r.status}-{r.body[:12]!r}",
)
def test_a_401_or_403_not_sent_names_the_url_or_the_hosts_access_not_a_wait(panel, reply):
    # "#6  not sent: ... HTTP 401: {"message": "Unauthenticated."} - try again
    # later": no wait lets the request in; add said no more than the code.
    server, replies, cli = panel
    replies.update(dict.fromkeys(ACTS, reply))
    fix = "check panels[0].url, or whether the panel's host lets this server in"
    said = _said(cli(*ADD))
    assert said.endswith(f"; no order placed; this URL refuses access before the API — {fix}")
    line = cli("cancel", "--yes", "6").stdout.splitlines()[0]
    assert line.startswith(f"#6  not sent: sim: cancel: HTTP {reply.status}: "), line
    assert line.endswith(f" - this URL refuses access before the API — {fix}"), line

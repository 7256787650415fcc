"""A panel failing as a whole never blames its orders (review of hostile panels).

Each test serves a scripted panel on loopback, tracks orders with the real CLI,
runs ``run --once`` and reads what was stored: a status action that refuses
every call, says it is busy, answers null for every item, or answers only part
of each call must leave every order's record clean (no error, no give-up).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from blame_panel import config_for, panel_fixture, status_of, stored
from hostile import HostileServer, Reply, json_reply
from simconfig import LaterRuns, cli_in

from tracker.panel import failures, refusals
from tracker.panel.wrong_url import names_wrong_url

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is blamed, not the wait

KEY = "blame-key-Hq4Zt8Lm2Nc6Vx"
IDS = list(range(5001, 5031))  # 30 orders


config = config_for("1s")


panel = panel_fixture(config, IDS, KEY)


def status_calls(server: HostileServer) -> int:
    return sum(1 for form in server.requests if form.get("action") == "status")


def untouched(tmp_path: Path) -> bool:
    return set(stored(tmp_path).values()) == {(None, None, 0, 1)}


@pytest.mark.parametrize(
    "words", ["Database busy, try again later", "Too many requests", "API key rate limit exceeded"]
)
def test_a_busy_status_action_fails_the_call_and_blames_no_order(panel, tmp_path, words):
    cli, server = panel(lambda form: json_reply({"error": words}))
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert "panel busy: " + words in result.output
    assert untouched(tmp_path)
    # Retried like HTTP 429 (once, as configured), never split into lone IDs;
    # the retry's log line names the job, though the poll asked from a thread.
    # (The retry waits 1-2 s, jitter included, and is sent only with a second
    # of the budget left: a 4 s budget always has room for it; 3 s left it out
    # whenever the first call and the jitter together passed 1 s.)
    assert status_calls(server) == 2
    retries = [line for line in result.output.splitlines() if "panel_retry" in line]
    assert retries and all("job=status:evil" in line for line in retries), retries
    # The words of a busy panel are not a refused key: nothing is paused.
    db = sqlite3.connect(tmp_path / "t.db")
    kinds = [r[0] for r in db.execute("SELECT kind FROM alerts")]
    db.close()
    assert "auth_failed" not in kinds


def test_a_status_action_refusing_every_call_blames_no_order(panel, tmp_path, monkeypatch):
    cli, server = panel(lambda form: json_reply({"error": "Error"}))
    later = LaterRuns(monkeypatch)
    # The second run is past unknown_give_up: nothing may be given up. Its
    # line at debug: told by the first, its failing polls (status_failing's
    # run, kept in alert_state) going on.
    for level in ("info", "debug"):
        result = cli("--log-level", level, "run", "--once", "--all")
        assert result.exit_code == 1
        assert "status refused for every order asked: Error" in result.output
        later.advance(1.1)
    assert untouched(tmp_path)
    # Per run: the batch, one level of halves, and for each of those one ID
    # asked with order= (does the panel read only order=?); never a split
    # down to every lone ID (~60 calls).
    assert status_calls(server) <= 2 * 6


def test_one_poisoned_id_in_free_words_is_still_the_only_one_blamed(panel, tmp_path):
    poisoned = IDS[7]

    def status(form: dict[str, str]) -> Reply:
        asked = [int(i) for i in (form.get("orders") or form.get("order", "")).split(",")]
        if poisoned in asked:
            return json_reply({"error": "Error"})
        if "order" in form:
            return json_reply(status_of(asked[0]))
        return json_reply({str(i): status_of(i) for i in asked})

    cli, _ = panel(status)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = stored(tmp_path)
    assert found.pop(poisoned) == (None, "Error", 1, 1)
    assert set(found.values()) == {("In progress", None, 0, 1)}


def test_an_answer_of_nulls_is_a_broken_answer_not_news_of_the_orders(panel, tmp_path):
    def status(form: dict[str, str]) -> Reply:
        return json_reply({i: None for i in form["orders"].split(",")})

    cli, _ = panel(status)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1 and "answered none of the 30 asked IDs readably" in result.output
    assert untouched(tmp_path)


def test_a_panel_answering_ten_ids_per_call_gets_every_order_asked(panel, tmp_path):
    def status(form: dict[str, str]) -> Reply:
        if "order" in form:
            return json_reply(status_of(int(form["order"])))
        asked = form["orders"].split(",")[:10]
        return json_reply({i: status_of(int(i)) for i in asked})

    cli, server = panel(status)
    result = cli("--log-level", "info", "run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert set(stored(tmp_path).values()) == {("In progress", None, 0, 1)}
    assert status_calls(server) == 3  # 30 IDs, 10 a call: no lone asks
    assert "panel_answers_part_of_each_call" in result.output


def test_a_panel_rate_limiting_every_action_is_not_a_refused_key(tmp_path, monkeypatch):
    with HostileServer(lambda form: json_reply({"error": "Too many requests"})) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"BLAME_KEY": KEY})
        assert cli("track", *map(str, IDS)).exit_code == 0
        result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert "refused the API key" not in result.output and "panel busy" in result.output
    assert untouched(tmp_path)
    db = sqlite3.connect(tmp_path / "t.db")
    kinds = [r[0] for r in db.execute("SELECT kind FROM alerts")]
    db.close()
    assert "auth_failed" not in kinds


def test_a_lone_surrogate_in_one_item_spoils_nothing_else(panel, tmp_path):
    # "\ud800" decodes to a character no encoding can write: it used to fail
    # the whole answer (log line, database) on every run, for every order.
    def status(form: dict[str, str]) -> Reply:
        # Raw JSON text: the escapes as a panel sends them.
        item = '{"status": "%s", "remains": "40", "currency": "US\\udc00"}'
        items = ", ".join(
            f'"{i}": ' + item % ("Pend\\ud800ing" if i == "5001" else "In progress")
            for i in form["orders"].split(",")
        )
        return Reply(("{" + items + "}").encode())

    cli, _ = panel(status)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = stored(tmp_path)
    assert found.pop(5001)[0] == "Pend\ufffding"
    assert set(found.values()) == {("In progress", None, 0, 1)}


def test_a_status_action_refusing_every_call_in_words_naming_an_order_blames_none(
    panel, tmp_path, monkeypatch
):
    # A panel that reads no ID at all says so in words that name one.
    words = "Order ID is required parameter. Please check your API Manual"
    cli, _ = panel(lambda form: json_reply({"error": words}))
    later = LaterRuns(monkeypatch)
    # The second run's line at debug: told by the first, its failing polls
    # (status_failing's run, kept in alert_state) going on.
    for level in ("info", "debug"):  # the second run is past unknown_give_up
        result = cli("--log-level", level, "run", "--once", "--all")
        assert result.exit_code == 1 and f"every order asked: {words}" in result.output
        later.advance(1.1)
    assert untouched(tmp_path)


@pytest.mark.parametrize("words", ["Too many requests", "Error"])
def test_an_answer_refusing_every_order_item_by_item_blames_none(panel, tmp_path, words):
    def status(form: dict[str, str]) -> Reply:
        return json_reply({i: {"error": words} for i in form["orders"].split(",")})

    cli, _ = panel(status)
    # The second run's line at debug: told by the first, its failing polls
    # (status_failing's run, kept in alert_state) going on.
    for level in ("info", "debug"):
        result = cli("--log-level", level, "run", "--once", "--all")
        assert result.exit_code == 1 and words in result.output
    assert untouched(tmp_path)


def test_an_item_that_says_nothing_is_asked_again_alone(panel, tmp_path):
    def status(form: dict[str, str]) -> Reply:
        if "order" in form:
            return json_reply(status_of(int(form["order"])))
        answer: dict[str, Any] = {i: status_of(int(i)) for i in form["orders"].split(",")}
        answer[str(IDS[3])] = None
        return json_reply(answer)

    cli, _ = panel(status)
    assert cli("run", "--once", "--all").exit_code == 0
    assert set(stored(tmp_path).values()) == {("In progress", None, 0, 1)}


def add_requests(server: HostileServer) -> int:
    return sum(1 for form in server.requests if form.get("action") == "add")


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({"error": "Database busy, try again later"}, "Database busy, try again later"),
        ({"order": 5, "error": "Too many requests"}, "outcome unknown"),
    ],
)
def test_add_is_never_sent_twice_for_busy_words(tmp_path, monkeypatch, answer, said):
    # A panel may say it is busy after it placed the order: never resent.
    with HostileServer(lambda form: json_reply(answer)) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"BLAME_KEY": KEY})
        result = cli("add", "--service", "1", "--link", "https://x.test/p", "--quantity", "100")
        assert add_requests(server) == 1
    assert result.exit_code == 1 and said in result.output, result.output
    assert stored(tmp_path) == {}


def test_an_unknown_order_due_alone_is_still_given_up(panel, tmp_path, monkeypatch):
    # Everything asked is refused, but the panel answers an order it knows: the
    # refusal is the order's own, and it is given up after unknown_give_up
    # (rather than failing every cycle as a refusing panel would).
    unknown = IDS[4]

    def status(form: dict[str, str]) -> Reply:
        asked = [int(i) for i in (form.get("orders") or form.get("order", "")).split(",")]
        if unknown in asked:
            return json_reply({"error": "Incorrect order ID"})
        done = {"status": "Completed", "remains": "0", "charge": "0.5"}
        return json_reply(done if "order" in form else {str(i): done for i in asked})

    cli, _ = panel(status)
    later = LaterRuns(monkeypatch)
    assert cli("run", "--once", "--all").exit_code == 0  # the others complete
    for _ in range(2):  # then it is the only one due, past unknown_give_up
        later.advance(1.1)
        result = cli("run", "--once", "--all")
        assert result.exit_code == 0, result.output
    _status, error, _count, polling = stored(tmp_path)[unknown]
    assert error == "Incorrect order ID" and polling == 0
    db = sqlite3.connect(tmp_path / "t.db")
    kinds = [r[0] for r in db.execute("SELECT kind FROM alerts")]
    db.close()
    assert "order_lost" in kinds


def test_a_key_refusal_as_one_item_is_never_that_orders_error(panel, tmp_path, monkeypatch):
    # The key refused in one order's item, the others answered: a failure of
    # the panel (or a panel bug), never news of the order, which was being
    # given up after schedule.unknown_give_up for the panel's words.
    refused = IDS[4]

    def status(form: dict[str, str]) -> Reply:
        asked = (form.get("orders") or form.get("order", "")).split(",")
        if "order" in form:
            return json_reply(status_of(int(asked[0])))
        answer: dict[str, Any] = {i: status_of(int(i)) for i in asked}
        answer[str(refused)] = {"error": "Your API key is incorrect"}
        return json_reply(answer)

    cli, _ = panel(status)
    later = LaterRuns(monkeypatch)
    # The second run's line at debug: told by the first, its failing polls
    # (status_failing's run, kept in alert_state) going on.
    for level in ("info", "debug"):  # the second run is past unknown_give_up
        result = cli("--log-level", level, "run", "--once", "--all")
        assert result.exit_code == 1
        assert "1 order left unsettled: key refused: Your API key is incorrect" in result.output
        later.advance(1.1)
    found = stored(tmp_path)
    assert found.pop(refused) == (None, None, 0, 1)
    assert set(found.values()) == {("In progress", None, 0, 1)}


def test_a_key_refused_in_every_item_is_a_refused_key(panel, tmp_path):
    # Every order's item refusing the key is the key refused, in other
    # words: the panel pauses and auth_failed is raised, as for a top-level
    # {"error": "Your API key is incorrect"}; it was a failed poll, every
    # run, that no alert told of, the orders never asked again with success.
    def status(form: dict[str, str]) -> Reply:
        asked = (form.get("orders") or form.get("order", "")).split(",")
        return json_reply({i: {"error": "Your API key is incorrect"} for i in asked})

    cli, server = panel(status)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert untouched(tmp_path)
    assert status_calls(server) == 1  # never split: the key is no order's
    db = sqlite3.connect(tmp_path / "t.db")
    kinds = [r[0] for r in db.execute("SELECT kind FROM alerts")]
    db.close()
    assert "auth_failed" in kinds


def test_a_panel_busy_in_every_item_is_asked_no_more_this_poll(panel, tmp_path):
    # "Too many requests" in every order's item is the panel too busy, as the
    # same words at the top level: the poll stops asking it (the next run
    # asks again), instead of sending every other batch to a panel that
    # said it cannot keep up.
    def status(form: dict[str, str]) -> Reply:
        asked = (form.get("orders") or form.get("order", "")).split(",")
        return json_reply({i: {"error": "Too many requests"} for i in asked})

    cli, server = panel(status, "max_batch = 10\nconcurrency = 1")
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1 and "panel busy: Too many requests" in result.output
    assert untouched(tmp_path)
    # 30 orders, 10 a call, at most 2 calls in flight, each retried once
    # (retries = 1) as the same words at the top are: never a third batch.
    assert status_calls(server) <= 2 * 2
    db = sqlite3.connect(tmp_path / "t.db")
    kinds = [r[0] for r in db.execute("SELECT kind FROM alerts")]
    db.close()
    assert "auth_failed" not in kinds


FAULTS = [
    "SQLSTATE[HY000] [1040] Too many connections",
    "Database error",
    "Internal Server Error",
    "PDOException: could not connect",
    "Database connection failed",  # found by the fuzz soak (seeds 15 and 104)
    "MySQL server has gone away",
]


@pytest.mark.parametrize("words", FAULTS)
def test_the_panels_server_failing_in_one_item_is_never_that_orders_error(
    panel, tmp_path, monkeypatch, words
):
    # Counted as "the panel calls it unknown", the order was given up (lost)
    # after schedule.unknown_give_up for the panel's database trouble.
    failed = IDS[4]

    def status(form: dict[str, str]) -> Reply:
        asked = (form.get("orders") or form.get("order", "")).split(",")
        answer: dict[str, Any] = {i: status_of(int(i)) for i in asked}
        answer[str(failed)] = {"error": words}
        return json_reply(answer if "orders" in form else answer[asked[0]])

    cli, _ = panel(status)
    later = LaterRuns(monkeypatch)
    # The second run's line at debug: told by the first, its failing polls
    # (status_failing's run, kept in alert_state) going on.
    for level in ("info", "debug"):  # the second run is past unknown_give_up
        result = cli("--log-level", level, "run", "--once", "--all")
        assert result.exit_code == 1
        assert f"1 order left unsettled: panel failed: {words}" in result.output
        later.advance(1.1)
    found = stored(tmp_path)
    assert found.pop(failed) == (None, None, 0, 1)
    assert set(found.values()) == {("In progress", None, 0, 1)}


def test_a_panel_whose_database_fails_on_every_action_is_not_a_refused_key(tmp_path, monkeypatch):
    words = "SQLSTATE[HY000] [2002] Connection refused"
    with HostileServer(lambda form: json_reply({"error": words})) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"BLAME_KEY": KEY})
        assert cli("track", *map(str, IDS)).exit_code == 0
        result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert "refused the API key" not in result.output and words in result.output
    assert untouched(tmp_path)
    db = sqlite3.connect(tmp_path / "t.db")
    kinds = [r[0] for r in db.execute("SELECT kind FROM alerts")]
    db.close()
    assert "auth_failed" not in kinds


@pytest.mark.parametrize(
    "words", ["Incorrect order ID", "Order not found", "Error", "Invalid link", "Not enough funds"]
)
def test_words_about_the_order_or_the_request_are_no_panel_fault(words):
    assert not refusals.is_panel_fault(words)


@pytest.mark.parametrize(
    ("words", "refused"),
    [
        ("User not found", True),  # a panel's own words for a key it does not know
        ("Access denied", True),
        ("Not Found", False),  # a web server's: the URL's path is wrong
        ("404 page not found", False),
    ],
)
def test_a_404_to_every_action_in_the_panels_own_words_is_a_refused_key(
    tmp_path, monkeypatch, words, refused
):
    # A wrong path answers every action "Not Found" (the URL, not the key);
    # a panel refusing a wrong key with a 404 and words of its own was read
    # as a wrong URL too: no auth_failed, every job kept calling with the key.
    server = HostileServer(lambda form: json_reply({"error": words}, 404)).start()
    try:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"BLAME_KEY": KEY})
        assert cli("track", "5001").exit_code == 0
        result = cli("run", "--once")
        assert result.exit_code == 1
        db = sqlite3.connect(tmp_path / "t.db")
        kinds = [r[0] for r in db.execute("SELECT kind FROM alerts")]
        db.close()
        assert ("auth_failed" in kinds) is refused
        assert f"HTTP 404 from {server.url}: {words}" in result.output
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("code", "body", "wrong_url"),
    [
        (404, {"message": "Not Found"}, True),  # Laravel's JSON 404
        (404, {"detail": "Not Found"}, True),  # FastAPI's
        (405, {"detail": "Method Not Allowed"}, True),
        (404, {"message": "User not found"}, False),  # the panel's own words
        (404, {"message": "The route api/v3 could not be found."}, True),  # Laravel 9+
        (
            405,
            {
                "message": "The POST method is not supported for route api/v3. Supported "
                "methods: GET, HEAD."
            },
            True,
        ),
        (404, "Cannot POST /api/v3", True),  # Express, as text
        (404, "No input file specified.", True),  # PHP-FPM, no such script
    ],
)
def test_a_frameworks_json_404_is_a_wrong_url(code, body, wrong_url):
    # {"message": "Not Found"} carries no "error": the message shows the body
    # whole, and a wrong path was read as a refused key (auth_failed).
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    message = failures.describe_status(code, raw, "https://p.example/api")
    assert names_wrong_url(message) is wrong_url

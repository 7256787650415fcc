"""A failed call is never its orders' failure, even deep in asking a batch.

Each test serves a scripted panel on loopback, tracks orders with the real
CLI, runs ``run --once`` and reads what was stored. The calls that fail here
are not a batch's first: the multi call asking again the IDs an answer left
out, and the halves and lone IDs of a batch refused as a whole. With
``unknown_give_up = "0s"`` one order wrongly called unknown is given up
(``order_lost``) in the same run.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from blame_panel import Respond, asked, config_for, panel_fixture, status_of
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is blamed, not the wait

KEY = "blame-calls-key-Wd3Rk7Pq9Ts"
IDS = list(range(6001, 6031))  # 30 orders
LEFT_OUT = IDS[-6:]  # more than ASK_ALONE: asked again in a multi call first


config = config_for("0s")


panel = panel_fixture(config, IDS, KEY)


def stored(tmp_path: Path) -> dict[int, tuple[Any, ...]]:
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        rows = db.execute(
            "SELECT order_id, status, error, error_count, unknown_since IS NOT NULL, polling"
            " FROM orders"
        )
        return {r[0]: r[1:] for r in rows}
    finally:
        db.close()


def alert_kinds(tmp_path: Path) -> list[str]:
    db = sqlite3.connect(tmp_path / "t.db")
    try:
        return [r[0] for r in db.execute("SELECT kind FROM alerts")]
    finally:
        db.close()


ANSWERED = ("In progress", None, 0, 0, 1)
UNTOUCHED = (None, None, 0, 0, 1)

FORBIDDEN = Reply(
    b"<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>",
    403,
    {"Content-Type": "text/html"},
)
# What the multi call asking the left-out IDs again gets: no news of any.
FAILED_REASKS = {
    "nothing": json_reply({}),
    "error page": FORBIDDEN,
    "refused as a whole": json_reply({"error": "Request denied"}),
}


def leaves_out_then(reask: Reply, alone: Callable[[int], Reply]) -> Respond:
    """A panel whose multi answer to all IDS leaves out LEFT_OUT, answering
    ``reask`` to a multi call for fewer IDs and ``alone(id)`` to ``order=``."""

    def status(form: dict[str, str]) -> Reply:
        ids = asked(form)
        if "order" in form:
            return alone(ids[0])
        if len(ids) > len(LEFT_OUT):
            return json_reply({str(i): status_of(i) for i in ids if i not in LEFT_OUT})
        return reask

    return status


@pytest.mark.parametrize("reask", FAILED_REASKS.values(), ids=FAILED_REASKS.keys())
def test_a_failed_reask_is_no_news_the_orders_are_asked_alone(panel, tmp_path, reask):
    # The re-ask failing as a call counted its 6 IDs "not in the panel's
    # answer": unknown, and lost at once with unknown_give_up 0s, while
    # order= (never tried) answered them fine.
    cli, server = panel(leaves_out_then(reask, lambda i: json_reply(status_of(i))))
    result = cli("--log-level", "info", "run", "--once", "--all")
    assert result.exit_code == 0, result.output
    assert set(stored(tmp_path).values()) == {ANSWERED}
    assert "order_lost" not in alert_kinds(tmp_path)
    assert "status_reask_failed" in result.output
    alone = sorted(int(f["order"]) for f in server.requests if "order" in f)
    assert alone == LEFT_OUT


FAILED_ALONE = {
    "nothing": json_reply({}),
    "error page": FORBIDDEN,
    "server error": json_reply({"error": "Bad gateway"}, status=502),
    # refused as a whole, then each order alone in the very same words, while
    # the panel answers no order it knows (asked again): no order's error
    "refused alike": json_reply({"error": "Request denied"}),
}


@pytest.mark.parametrize("failure", FAILED_ALONE.values(), ids=FAILED_ALONE.keys())
def test_a_failed_reask_and_failed_lone_calls_leave_the_orders_unsettled(panel, tmp_path, failure):
    # Neither form of the call brings news of the 6: they are the panel's
    # failure (the run fails, exit 1), untouched, asked again next run.
    cli, _ = panel(leaves_out_then(failure, lambda i: failure))
    # The second run's line at debug: told by the first, its failing polls
    # (status_failing's run, kept in alert_state) going on.
    for level in ("info", "debug"):  # given up at once, were they counted unknown
        result = cli("--log-level", level, "run", "--once", "--all")
        assert result.exit_code == 1, result.output
        assert "6 orders left unsettled" in result.output
    found = stored(tmp_path)
    assert {found.pop(i) for i in LEFT_OUT} == {UNTOUCHED}
    assert set(found.values()) == {ANSWERED}
    assert "order_lost" not in alert_kinds(tmp_path)


def test_an_order_the_panel_does_not_know_is_still_unknown_when_asked_alone(panel, tmp_path):
    # A list-shaped panel drops unknown IDs from a multi answer and answers
    # [] for them alone in one: asked with order=, they are its words' own.
    def alone(order_id: int) -> Reply:
        return json_reply({"error": "Incorrect order ID"})

    cli, _ = panel(leaves_out_then(json_reply([]), alone))
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = stored(tmp_path)
    for order_id in LEFT_OUT:
        _status, error, _count, unknown, polling = found.pop(order_id)
        assert (error, unknown, polling) == ("Incorrect order ID", 1, 0)  # given up: 0s
    assert set(found.values()) == {ANSWERED}
    assert "order_lost" in alert_kinds(tmp_path)


def status_calls(server: HostileServer) -> int:
    return sum(1 for form in server.requests if form.get("action") == "status")


LIMIT = "You have exceeded the request limit. Please retry in 60 seconds"


def refusing_after(calls: int, words: str) -> Respond:
    """A panel answering its first ``calls`` status calls, then refusing
    every one in ``words`` (its balance still answered)."""
    count = [0]
    lock = threading.Lock()

    def status(form: dict[str, str]) -> Reply:
        with lock:
            count[0] += 1
            if count[0] > calls:
                return json_reply({"error": words})
        ids = asked(form)
        return json_reply(
            status_of(ids[0]) if "order" in form else {str(i): status_of(i) for i in ids}
        )

    return status


def test_a_rate_limit_in_new_words_is_busy_never_each_orders_error(panel, tmp_path):
    # The words were no busy words: the batch was split down to lone IDs,
    # each stored the words as its error, and order_lost fired (give-up 0s).
    cli, server = panel(refusing_after(2, LIMIT), "max_batch = 8\nconcurrency = 1")
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert "panel busy: " + LIMIT in result.output
    found = list(stored(tmp_path).values())
    assert (found.count(ANSWERED), found.count(UNTOUCHED)) == (16, 14)
    assert status_calls(server) <= 6  # 2 answered; each busy batch retried once, never split
    assert not {"order_lost", "auth_failed"} & set(alert_kinds(tmp_path))


def test_a_rate_limit_in_new_words_on_every_action_is_not_a_refused_key(tmp_path, monkeypatch):
    # balance said the same words: taken for a refused key, the jobs paused.
    with HostileServer(lambda form: json_reply({"error": LIMIT})) as server:
        cli = cli_in(tmp_path, monkeypatch, config(server.url), env={"BLAME_KEY": KEY})
        assert cli("track", *map(str, IDS)).exit_code == 0
        result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert "refused the API key" not in result.output and "panel busy: " + LIMIT in result.output
    assert set(stored(tmp_path).values()) == {UNTOUCHED}
    assert "auth_failed" not in alert_kinds(tmp_path)


def test_every_lone_id_refused_in_the_same_unknown_words_is_no_orders_error(panel, tmp_path):
    # A rate limit in words no vocabulary knows: the batch refused as a whole
    # is split down to lone IDs (the panel answered status calls a moment
    # ago), each refused alike. Asked again, no order the panel knows comes
    # back either: the panel's refusal, not each order's.
    words = "Hold your horses, partner"
    cli, _ = panel(refusing_after(2, words), "max_batch = 8\nconcurrency = 1")
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert "status refused alike for every order asked alone: " + words in result.output
    assert "status_refused_alike" in result.output
    for _ in range(2):  # past unknown_give_up, nothing is given up
        assert cli("run", "--once", "--all").exit_code == 1
    found = list(stored(tmp_path).values())
    assert (found.count(ANSWERED), found.count(UNTOUCHED)) == (16, 14)
    assert "order_lost" not in alert_kinds(tmp_path)


def test_two_bad_ids_refused_in_the_same_free_words_are_still_each_ones(panel, tmp_path):
    # The panel refuses any call asking about either ("Error") and answers
    # the others, when asked again too: the refusal is theirs.
    bad = {IDS[3], IDS[20]}

    def status(form: dict[str, str]) -> Reply:
        ids = asked(form)
        if bad & set(ids):
            return json_reply({"error": "Error"})
        return json_reply(
            status_of(ids[0]) if "order" in form else {str(i): status_of(i) for i in ids}
        )

    cli, _ = panel(status)
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    found = stored(tmp_path)
    assert {found.pop(i) for i in bad} == {(None, "Error", 1, 1, 0)}  # given up: 0s
    assert set(found.values()) == {ANSWERED}


def test_a_failed_reask_is_warned_by_the_first_run_of_the_failing_polls_alone(panel):
    # Under cron, every run's poll failing the same way (status_failing's run
    # kept in alert_state): its status_reask_failed warning, a mail a minute
    # at --log-level warning, is said by the first run alone.
    failure = json_reply({})
    cli, _ = panel(leaves_out_then(failure, lambda i: failure))
    said = []
    for _ in range(3):
        result = cli("--log-level", "warning", "run", "--once", "--all")
        assert result.exit_code == 1, result.output
        said.append(result.output.count(" status_reask_failed "))
    assert said[0] >= 1 and said[1:] == [0, 0]  # before: as many at every run

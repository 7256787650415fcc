"""A single-order status call (``order=``) answered by a bare JSON string.

Scripts that write an item's error as a bare string ("Incorrect order ID")
write the whole answer to ``order=`` so too. It was a broken answer
("expected an object for status, got str: 'Incorrect order ID'"): the call
failed at every poll, ``run --once`` exited 1 at every cron run, and the
order never got the not-found handling ``{"error": "Incorrect order ID"}``
gives it. The string is now the panel's words, read as that error would be
(a key refused: the panel paused); a status word as in a multi answer's
item; a string of no words, a number, still a broken answer, never the
order's. Each test serves a scripted panel that leaves one order out of
its ``orders=`` answer, so that order is asked alone with ``order=``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from blame_panel import asked, config_for, panel_fixture, status_of, stored
from hostile import Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import LaterRuns

from tracker.errors import AuthError, PanelAnswerError, PanelError
from tracker.panel import parse_single

pytestmark = [pytest.mark.usefixtures("quick_backoff"), pytest.mark.usefixtures("fresh_logs")]

KEY = "bare-key-Vd7Kq2Xs9Lw4Pz"
IDS = [6101, 6102, 6103]
ALONE = IDS[1]  # left out of every orders= answer: asked with order=

panel = panel_fixture(config_for("1s"), IDS, KEY)


def answering(alone: Any) -> Any:
    """A status action answering every order but ALONE to ``orders=`` (In
    progress), and ``alone`` (decoded JSON) to ``order=ALONE``."""

    def status(form: dict[str, str]) -> Reply:
        if "order" in form:
            return json_reply(alone if asked(form) == [ALONE] else status_of(0))
        return json_reply({str(i): status_of(i) for i in asked(form) if i != ALONE})

    return status


def alert_kinds(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "t.db") as db:
        return [r[0] for r in db.execute("SELECT kind FROM alerts")]


def database_text(tmp_path: Path) -> bytes:
    return (tmp_path / "t.db").read_bytes()


@pytest.mark.parametrize("words", ["Incorrect order ID", "Order not found"])
@pytest.mark.parametrize("bare", [True, False], ids=["bare", "object"])
def test_a_bare_not_found_is_the_orders_error_and_it_is_given_up(
    panel, tmp_path, monkeypatch, words, bare
):
    # The same words as {"error": ...} were already the order's: the bare
    # string now gets what they get, exit codes, stored row and alert alike.
    cli, server = panel(answering(words if bare else {"error": words}))
    later = LaterRuns(monkeypatch)
    results = [cli("run", "--once", "--all")]
    for _ in range(2):  # past unknown_give_up (1 s): given up, with an alert
        later.advance(1.1)
        results.append(cli("run", "--once", "--all"))
    assert [r.exit_code for r in results] == [0, 0, 0], results[-1].output
    found = stored(tmp_path)
    _status, error, count, polling = found.pop(ALONE)
    assert (error, polling) == (words, 0) and count >= 1
    assert set(found.values()) == {("In progress", None, 0, 1)}
    assert "order_lost" in alert_kinds(tmp_path)
    said = "".join(r.output for r in results)
    assert "expected an object" not in said and "status_reask_failed" not in said
    assert any(f.get("order") == str(ALONE) for f in server.requests)


def test_a_bare_key_refusal_to_a_lone_order_pauses_the_panel(panel, tmp_path):
    # The key echoed in the refusal, as careless scripts do: blanked everywhere.
    cli, _ = panel(answering(f"Invalid API key: {KEY}"))
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1
    assert "auth_failed" in alert_kinds(tmp_path)
    assert "panel_paused" in result.output and "Invalid API key" in result.output
    _status, error, count, polling = stored(tmp_path)[ALONE]
    assert (error, count, polling) == (None, 0, 1)  # never the order's
    assert KEY not in result.output
    assert KEY.encode() not in database_text(tmp_path)
    again = cli("run", "--once", "--all")  # paused: the key is not sent again in vain
    assert again.exit_code == 1 and KEY not in again.output


def test_a_bare_status_word_is_the_orders_status(panel, tmp_path):
    # Read as the same word in a multi answer's item (parse._bare).
    cli, _ = panel(answering("Completed"))
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    status, error, count, _polling = stored(tmp_path)[ALONE]
    assert (status, error, count) == ("Completed", None, 0)


@pytest.mark.parametrize(
    "alone, said",
    [
        ("Too many requests", "panel busy: Too many requests"),
        ("<html><title>Error</title></html>", "got str: '<html><title>Error</title></html>'"),
        ("", "got str: ''"),
        (404, "got int: 404"),
        (["Incorrect order ID"], 'got list: ["Incorrect order ID"]'),
    ],
)
def test_a_bare_answer_of_no_words_about_the_order_is_never_its_error(panel, tmp_path, alone, said):
    # The whole-call principle: a failure of the call is never the order's.
    cli, _ = panel(answering(alone))
    result = cli("run", "--once", "--all")
    assert result.exit_code == 1 and said in result.output, result.output
    assert stored(tmp_path)[ALONE] == (None, None, 0, 1)
    assert not {"order_lost", "auth_failed"} & set(alert_kinds(tmp_path))


@pytest.mark.parametrize(
    "words",
    ["Incorrect order ID", "Order not found", "Invalid API key", "Failed", "Incorrect request"],
)
def test_a_bare_string_to_order_is_read_as_the_same_words_as_an_error(words):
    # The parser alone: the same exception, type and words, for both shapes.
    raised = []
    for answer in (words, {"error": words}):
        with pytest.raises(PanelError) as caught:
            parse_single.parse_status_single(5, answer)
        raised.append((type(caught.value), str(caught.value)))
    assert raised[0] == raised[1]
    assert raised[0][0] is (AuthError if words == "Invalid API key" else PanelAnswerError)

"""A status call for one order refused in the words of a refused call
("Incorrect request", "Unknown action", "Action not found": what panels
answer an action they lack or a request they cannot read) is no order's
error, even while the panel answers the other orders: the order is left
as it was, asked again at the next poll, never counted unknown (which put
its next check an hour away, and began its way to `order_lost`).

Found by the fuzz soak (tests/soak_fuzz.py, seed 102 round 27): a lone
order's call answered ``{"error": "Action not found"}`` got that error and
``unknown_since``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer, Reply, json_reply
from simconfig import cli_in

KEY = "lone-key-Hq3Vb8Nx2Lp5"
REFUSED, KNOWN = 7001, 7002
MOVING = {"charge": "0.5", "start_count": "10", "status": "In progress", "remains": "40"}
CONFIG = """
[database]
path = "t.db"
[[panels]]
name = "script"
url = "{url}"
key_env = "LONE_KEY"
timeout = "30s"
retries = 1
retry_budget = "30s"
max_batch = {batch}
concurrency = 1
[refill]
enabled = false
"""


def panel(words: str, code: int = 200) -> Any:
    """A panel answering KNOWN's status, and refusing any status call that
    asks about REFUSED as a whole in ``words``, with HTTP ``code``."""

    def answer(form: dict[str, str]) -> Reply:
        if form.get("action") == "balance":
            return json_reply({"balance": "5.00", "currency": "USD"})
        if form.get("action") != "status":
            return json_reply([])
        asked = [int(i) for i in (form.get("orders") or form.get("order") or "").split(",")]
        if REFUSED in asked:
            return json_reply({"error": words}, code)
        if "order" in form:
            return json_reply(MOVING)
        return json_reply({str(KNOWN): MOVING})

    return answer


def order_row(directory: Path, order_id: int) -> tuple[Any, ...]:
    with sqlite3.connect(directory / "t.db") as db:
        row = db.execute(
            "SELECT status, error, error_count, unknown_since, polling FROM orders"
            " WHERE order_id = ?",
            (order_id,),
        ).fetchone()
    return tuple(row)


@pytest.mark.parametrize("words", ["Incorrect request", "Unknown action", "Action not found"])
@pytest.mark.parametrize("batch", [1, 2])  # asked alone; split out of a refused pair
def test_a_lone_call_refused_in_a_refused_calls_words_leaves_its_order_as_it_was(
    tmp_path, monkeypatch, words, batch
):
    with HostileServer(panel(words)) as server:
        config = CONFIG.format(url=server.url, batch=batch)
        cli = cli_in(tmp_path, monkeypatch, config, env={"LONE_KEY": KEY})
        assert cli("track", str(KNOWN), str(REFUSED)).exit_code == 0
        for _ in range(2):  # the second knows KNOWN answers: the panel reads status calls
            result = cli("run", "--once", "--all")
        asked_refused = [f for f in server.requests if asks_refused(f)]
    assert asked_refused  # the refused order was asked, and refused
    assert order_row(tmp_path, KNOWN) == ("In progress", None, 0, None, 1)
    # Untouched: no error, not unknown, still polled.
    assert order_row(tmp_path, REFUSED) == (None, None, 0, None, 1)
    assert result.exit_code == 1  # the poll left an order unchecked: said, not hidden


@pytest.mark.parametrize("code", [400, 403, 404])
@pytest.mark.parametrize("batch", [1, 2])
def test_a_lone_call_refused_so_with_an_http_code_leaves_its_order_as_it_was(
    tmp_path, monkeypatch, code, batch
):
    # "HTTP 400: Incorrect request": the words a 200 refusing the call
    # carries, with the code in front (from the URL too, for a 404). Read
    # as the order's error before, counted unknown on its way to order_lost.
    with HostileServer(panel("Incorrect request", code)) as server:
        config = CONFIG.format(url=server.url, batch=batch)
        cli = cli_in(tmp_path, monkeypatch, config, env={"LONE_KEY": KEY})
        assert cli("track", str(KNOWN), str(REFUSED)).exit_code == 0
        results = [cli("run", "--once", "--all") for _ in range(2)]
    assert order_row(tmp_path, KNOWN) == ("In progress", None, 0, None, 1)
    assert order_row(tmp_path, REFUSED) == (None, None, 0, None, 1)
    assert [r.exit_code for r in results] == [1, 1]
    assert f"status call refused: HTTP {code}" in results[0].output


@pytest.mark.parametrize(
    "words", ["Database connection failed", "Lost connection to MySQL server during query"]
)
def test_a_lone_call_refused_as_the_panels_database_failing_leaves_its_order_as_it_was(
    tmp_path, monkeypatch, words
):
    # Found by the fuzz soak (seeds 15 and 104): the order got the words as
    # its error and unknown_since; with unknown_give_up = "0s", given up as
    # lost at once, for the panel's database trouble.
    with HostileServer(panel(words)) as server:
        config = CONFIG.format(url=server.url, batch=1)
        cli = cli_in(tmp_path, monkeypatch, config, env={"LONE_KEY": KEY})
        assert cli("track", str(KNOWN), str(REFUSED)).exit_code == 0
        results = [cli("run", "--once", "--all") for _ in range(2)]
    assert order_row(tmp_path, KNOWN) == ("In progress", None, 0, None, 1)
    assert order_row(tmp_path, REFUSED) == (None, None, 0, None, 1)
    # The panel's words told by the first run (the second tells the same
    # failing polls at debug: once per episode across runs).
    assert [r.exit_code for r in results] == [1, 1] and words in results[0].output


def test_a_lone_call_refused_in_an_orders_words_is_still_that_orders_error(tmp_path, monkeypatch):
    with HostileServer(panel("Incorrect order ID")) as server:
        cli = cli_in(
            tmp_path, monkeypatch, CONFIG.format(url=server.url, batch=1), env={"LONE_KEY": KEY}
        )
        assert cli("track", str(KNOWN), str(REFUSED)).exit_code == 0
        for _ in range(2):
            cli("run", "--once", "--all")
    status, error, count, since, polling = order_row(tmp_path, REFUSED)
    # Counted by the second run, or by both (KNOWN asked first in the first).
    assert (status, error, polling) == (None, "Incorrect order ID", 1)
    assert count >= 1 and since is not None


def asks_refused(form: dict[str, str]) -> bool:
    return str(REFUSED) in (form.get("orders") or form.get("order") or "").split(",")
